using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcOverloadTests
{
    [Fact]
    public async Task Busy_answers_are_retried_and_busy_requests_are_never_executed()
    {
        // The device claims 8 buffers but executes one command at a time: a misconfiguration the client survives.
        await using var bed = new RpcTestBed(
            client: new RpcClientOptions { RetryDelay = TimeSpan.FromMilliseconds(1), MaxAttempts = 10_000 },
            server: new RpcServerOptions { MaxConcurrentRequests = 1 },
            receiveBuffers: 8);
        bed.Service.WriteTime = TimeSpan.FromMilliseconds(2);

        await Task.WhenAll(Enumerable.Range(0, 16)
            .Select(i => bed.CallAsync<WriteAtRequest, EmptyMessage>(TestService.WriteAt, new WriteAtRequest((uint)i * 16, new byte[16])))).WaitAsync(HangGuard);

        RpcServerStatistics stats = bed.Server.GetStatistics();
        Assert.True(stats.BusyRejections > 0);
        Assert.Equal(16, stats.CommandsExecuted);
        Assert.Equal(16 * 16, bed.Service.BytesWritten);
    }

    [Fact]
    public async Task Busy_on_the_last_attempt_surfaces_as_status_Busy()
    {
        await using var bed = new RpcTestBed(client: new RpcClientOptions { MaxAttempts = 1 }, server: new RpcServerOptions { MaxConcurrentRequests = 1 }, receiveBuffers: 2);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed.Service.HoldGate = gate.Task;
        bed.Service.HoldTarget = 1;
        Task<U32Message> holding = bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message(1), new RpcCallOptions { Timeout = Timeout.InfiniteTimeSpan });
        await bed.Service.HoldTargetReached.Task.WaitAsync(HangGuard);

        RpcErrorException busy = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1))).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.Busy, busy.Status);

        gate.SetResult();
        await holding.WaitAsync(HangGuard);
        Assert.Equal(1, bed.Service.Executed);
    }

    [Fact]
    public async Task Queue_policy_holds_extra_requests_instead_of_rejecting_them()
    {
        await using var bed = new RpcTestBed(
            server: new RpcServerOptions { MaxConcurrentRequests = 1, OverloadPolicy = RpcOverloadPolicy.Queue },
            receiveBuffers: 4);
        bed.Service.WriteTime = TimeSpan.FromMilliseconds(1);
        await Task.WhenAll(Enumerable.Range(0, 12)
            .Select(i => bed.CallAsync<WriteAtRequest, EmptyMessage>(TestService.WriteAt, new WriteAtRequest((uint)i, new byte[8])))).WaitAsync(HangGuard);

        RpcServerStatistics stats = bed.Server.GetStatistics();
        Assert.Equal(0, stats.BusyRejections);
        Assert.Equal(1, stats.PeakConcurrentRequests);
        Assert.Equal(12, stats.CommandsExecuted);
    }
}

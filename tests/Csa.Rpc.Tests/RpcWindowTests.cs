using Csa.Rpc.Internal;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcWindowTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    [InlineData(7)]
    public async Task Requests_in_flight_fill_but_never_exceed_the_devices_receive_buffers(byte receiveBuffers)
    {
        // The server would execute 64 at once (its service opts out of arrival order): only the client's window keeps
        // it at the advertised number.
        await using var bed = new RpcTestBed(server: new RpcServerOptions { MaxConcurrentRequests = 64 }, receiveBuffers: receiveBuffers, execution: RpcExecution.Concurrent);
        bed.Service.HoldTarget = receiveBuffers;
        bed.Service.HoldGate = bed.Service.HoldTargetReached.Task; // opens once the window is full

        U32Message[] results = await Task.WhenAll(Enumerable.Range(0, 60)
            .Select(i => bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message((uint)i)))).WaitAsync(HangGuard);

        Assert.Equal(Enumerable.Range(0, 60).Select(i => (uint)i), results.Select(r => r.Value));
        Assert.Equal(receiveBuffers, bed.Service.PeakConcurrent);
        Assert.Equal(receiveBuffers, bed.Server.GetStatistics().PeakConcurrentRequests);
        Assert.Equal(0, bed.Server.GetStatistics().BusyRejections);
    }

    [Fact]
    public async Task Client_limit_of_one_makes_calls_stop_and_wait()
    {
        await using var bed = new RpcTestBed(client: new RpcClientOptions { MaxRequestsInFlight = 1 }, receiveBuffers: 8);
        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message((uint)i)))).WaitAsync(HangGuard);
        Assert.Equal(1, bed.Server.GetStatistics().PeakConcurrentRequests);
    }

    [Fact]
    public async Task Window_admits_waiters_in_arrival_order()
    {
        var window = new DeviceWindow(capacity: 1);
        long first = await window.EnterAsync(default);
        Task<long> second = window.EnterAsync(default);
        Task<long> third = window.EnterAsync(default);
        Assert.False(second.IsCompleted);

        window.Release(first);
        long secondTicket = await second.WaitAsync(HangGuard);
        Assert.False(third.IsCompleted);
        window.Release(secondTicket);
        await third.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Window_never_admits_a_request_a_replay_window_after_the_oldest_unanswered_one()
    {
        var window = new DeviceWindow(capacity: 64);
        long oldest = await window.EnterAsync(default);
        for (int i = 1; i < RpcProtocol.ReplayWindow; i++)
            window.Release(await window.EnterAsync(default));

        // 31 younger requests completed; a 32nd could push the unanswered one out of the device's cache.
        Task<long> next = window.EnterAsync(default);
        Assert.False(next.IsCompleted);
        window.Release(oldest);
        Assert.Equal(RpcProtocol.ReplayWindow, await next.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Cancelled_waiter_leaves_the_queue_without_a_slot()
    {
        var window = new DeviceWindow(capacity: 1);
        long held = await window.EnterAsync(default);
        using var cts = new CancellationTokenSource();
        Task<long> cancelled = window.EnterAsync(cts.Token);
        Task<long> next = window.EnterAsync(default);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).WaitAsync(HangGuard);

        window.Release(held);
        await next.WaitAsync(HangGuard);
        Assert.Equal(1, window.InFlight);
    }
}

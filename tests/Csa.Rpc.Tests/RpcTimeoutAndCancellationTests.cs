using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcTimeoutAndCancellationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Silent_device_times_out_after_resending_the_same_request_id()
    {
        var time = new FakeTimeProvider();
        await using var bed = new RpcTestBed(
            client: new RpcClientOptions { TimeProvider = time, DefaultTimeout = Timeout, MaxAttempts = 3 },
            startServer: false);
        bed.Network.RecordPackets = true;

        Task<U32Message> call = bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1));
        RpcTimeoutException timeout = await Assert.ThrowsAsync<RpcTimeoutException>(() => time.DriveAsync(call, Timeout));

        Assert.Contains("3 attempt", timeout.Message, StringComparison.Ordinal);
        RpcPacketHeader[] sent = bed.Network.SentPackets.Select(p => p.Header()).ToArray();
        Assert.Equal(3, sent.Length);
        Assert.All(sent, h => Assert.Equal(sent[0].RequestId, h.RequestId));
        Assert.Equal([RpcPacketFlags.None, RpcPacketFlags.Resend, RpcPacketFlags.Resend], sent.Select(h => h.Flags));
    }

    [Fact]
    public async Task Per_call_options_override_timeout_and_attempts()
    {
        var time = new FakeTimeProvider();
        await using var bed = new RpcTestBed(client: new RpcClientOptions { TimeProvider = time, MaxAttempts = 5 }, startServer: false);
        bed.Network.RecordPackets = true;
        Task<U32Message> call = bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1), new RpcCallOptions { MaxAttempts = 1, Timeout = TimeSpan.FromSeconds(10) });
        await Assert.ThrowsAsync<RpcTimeoutException>(() => time.DriveAsync(call, TimeSpan.FromSeconds(1)));
        Assert.Single(bed.Network.SentPackets);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Lost_response_is_recovered_from_the_response_cache_without_executing_again()
    {
        var time = new FakeTimeProvider();
        // Many attempts: fake time may run ahead of the replay and trigger further (harmless) resends.
        await using var bed = new RpcTestBed(client: new RpcClientOptions { TimeProvider = time, DefaultTimeout = Timeout, MaxAttempts = 1000 });
        bed.Network.RecordPackets = true;
        int responses = 0;
        bed.Network.Intercept = p => p.Header().Kind == RpcPacketKind.Response && Interlocked.Increment(ref responses) == 1 ? PacketFate.Drop : PacketFate.Deliver;

        Task<IncrementResponse> call = bed.CallAsync<IncrementRequest, IncrementResponse>(TestService.Increment, new IncrementRequest(5, 77));
        IncrementResponse response = await time.DriveAsync(call, Timeout);

        Assert.Equal(new IncrementResponse(5, 77), response);
        Assert.Equal(1, bed.Service.Executed);
        Assert.True(bed.Server.GetStatistics().AnswersReplayed >= 1);
        RpcPacketHeader[] answers = bed.Network.SentPackets.Select(p => p.Header()).Where(h => h.Kind == RpcPacketKind.Response).ToArray();
        Assert.True(answers.Length >= 2);
        Assert.Equal(RpcPacketFlags.None, answers[0].Flags);
        Assert.All(answers.Skip(1), h => Assert.Equal(RpcPacketFlags.Resend, h.Flags));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Resends_that_arrive_while_the_first_copy_executes_are_ignored()
    {
        var time = new FakeTimeProvider();
        await using var bed = new RpcTestBed(client: new RpcClientOptions { TimeProvider = time, DefaultTimeout = Timeout, MaxAttempts = 1000 });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed.Service.HoldGate = gate.Task;

        Task<U32Message> call = bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message(9));
        await WaitUntilAsync(() => bed.Server.GetStatistics().DuplicatesIgnored >= 2, time, Timeout);
        gate.SetResult();
        U32Message response = await call.WaitAsync(HangGuard);

        Assert.Equal(9u, response.Value);
        Assert.Equal(1, bed.Service.Executed);
    }

    [Fact]
    public async Task Cancelled_call_throws_and_frees_its_window_slot()
    {
        await using var bed = new RpcTestBed(receiveBuffers: 1);
        int commands = 0;
        bed.Network.Intercept = p => p.Header().Kind == RpcPacketKind.Command && Interlocked.Increment(ref commands) == 1 ? PacketFate.Drop : PacketFate.Deliver;

        using var cts = new CancellationTokenSource();
        Task<U32Message> lost = bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1), new RpcCallOptions { Timeout = System.Threading.Timeout.InfiniteTimeSpan }, cts.Token);
        await WaitUntilAsync(() => Volatile.Read(ref commands) == 1);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lost).WaitAsync(HangGuard);

        // With one receive buffer, this call could never start if the cancelled one had kept its slot.
        Assert.Equal(8u, (await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(7)).WaitAsync(HangGuard)).Value);
    }

    [Fact]
    public async Task Call_cancelled_while_waiting_for_a_slot_never_takes_one()
    {
        await using var bed = new RpcTestBed(receiveBuffers: 1);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bed.Service.HoldGate = gate.Task;
        bed.Service.HoldTarget = 1;

        Task<U32Message> holding = bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message(1));
        await bed.Service.HoldTargetReached.Task.WaitAsync(HangGuard);
        using var cts = new CancellationTokenSource();
        Task<U32Message> waiting = bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1), null, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting).WaitAsync(HangGuard);

        gate.SetResult();
        await holding.WaitAsync(HangGuard);
        Assert.Equal(3u, (await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(2)).WaitAsync(HangGuard)).Value);
        Assert.Equal(2, bed.Service.Executed); // the cancelled call was never sent
    }

    [Fact]
    public async Task Already_cancelled_call_sends_nothing()
    {
        await using var bed = new RpcTestBed();
        bed.Network.RecordPackets = true;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1), null, new CancellationToken(true)));
        Assert.Empty(bed.Network.SentPackets);
    }

    [Fact]
    public async Task Disposed_client_fails_pending_and_new_calls_with_ObjectDisposedException()
    {
        var bed = new RpcTestBed();
        bed.Service.HoldGate = new TaskCompletionSource().Task; // never opens
        Task<U32Message> pending = bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message(1));
        await bed.Client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending).WaitAsync(HangGuard);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1)));
        Assert.True(bed.HostSocket.IsDisposed);
        await bed.Server.DisposeAsync(); // cancels the held handler
    }
}

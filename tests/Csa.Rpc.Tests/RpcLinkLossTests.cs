using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-RECOVER")]
public sealed class RpcLinkLossTests
{
    [Fact]
    public async Task Link_loss_fails_pending_and_waiting_calls_with_RpcLinkLostException()
    {
        await using var bed = new RpcTestBed(receiveBuffers: 1);
        bed.Service.HoldGate = new TaskCompletionSource().Task; // never opens
        bed.Service.HoldTarget = 1;
        Task<U32Message> pending = bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message(1));
        await bed.Service.HoldTargetReached.Task.WaitAsync(HangGuard);
        Task<U32Message> waitingForSlot = bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1));

        bed.Network.BreakLink(new DataLinkException("cable unplugged"));

        RpcLinkLostException lost = await Assert.ThrowsAsync<RpcLinkLostException>(() => pending).WaitAsync(HangGuard);
        Assert.IsAssignableFrom<DataLinkException>(lost);
        Assert.Equal("cable unplugged", lost.InnerException?.Message);
        await Assert.ThrowsAsync<RpcLinkLostException>(() => waitingForSlot).WaitAsync(HangGuard);
        await Assert.ThrowsAsync<RpcLinkLostException>(() => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1)));
        Assert.True(bed.Client.IsClosed);

        DataLinkException serverFailure = await Assert.ThrowsAsync<DataLinkException>(() => bed.Server.Completion).WaitAsync(HangGuard);
        Assert.Equal("cable unplugged", serverFailure.Message);
    }

    [Fact]
    public async Task Socket_closed_under_the_client_fails_pending_calls_as_link_lost()
    {
        await using var bed = new RpcTestBed();
        bed.Service.HoldGate = new TaskCompletionSource().Task;
        bed.Service.HoldTarget = 1;
        Task<U32Message> pending = bed.CallAsync<U32Message, U32Message>(TestService.Hold, new U32Message(1));
        await bed.Service.HoldTargetReached.Task.WaitAsync(HangGuard);

        await bed.HostSocket.DisposeAsync();

        RpcLinkLostException lost = await Assert.ThrowsAsync<RpcLinkLostException>(() => pending).WaitAsync(HangGuard);
        Assert.Null(lost.InnerException);
    }

    [Fact]
    public async Task Idempotent_call_whose_send_fails_is_sent_again_under_a_new_request_id()
    {
        await using var bed = new RpcTestBed(client: new RpcClientOptions { RetryDelay = TimeSpan.FromMilliseconds(1) });
        await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(0)).WaitAsync(HangGuard); // learn the window first
        bed.Network.RecordPackets = true;
        bed.Network.FailNextSends(1);

        U32Message response = await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1), new RpcCallOptions { Idempotent = true }).WaitAsync(HangGuard);

        Assert.Equal(2u, response.Value);
        RpcPacketHeader[] commands = bed.Network.SentPackets.Select(p => p.Header()).Where(h => h.Kind == RpcPacketKind.Command).ToArray();
        Assert.Equal(2, commands.Length);
        Assert.NotEqual(commands[0].RequestId, commands[1].RequestId);
        Assert.Equal(RpcPacketFlags.None, commands[1].Flags);
    }

    [Fact]
    public async Task Non_idempotent_call_whose_send_fails_reports_the_link_error_and_the_client_stays_usable()
    {
        await using var bed = new RpcTestBed();
        await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(0)).WaitAsync(HangGuard);
        bed.Network.FailNextSends(1);

        DataLinkException error = await Assert.ThrowsAsync<DataLinkException>(
            () => bed.CallAsync<IncrementRequest, IncrementResponse>(TestService.Increment, new IncrementRequest(1, 1))).WaitAsync(HangGuard);
        Assert.IsNotType<RpcLinkLostException>(error);
        Assert.False(bed.Client.IsClosed);
        Assert.Equal(2u, (await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1)).WaitAsync(HangGuard)).Value);
    }
}

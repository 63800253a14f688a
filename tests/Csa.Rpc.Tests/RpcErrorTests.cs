using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcErrorTests
{
    [Fact]
    public async Task Device_error_becomes_RpcErrorException_with_the_devices_code_and_message()
    {
        await using var bed = new RpcTestBed();
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<EmptyMessage, EmptyMessage>(TestService.FailWithCode, EmptyMessage.Instance)).WaitAsync(HangGuard);
        Assert.Equal(TestService.FlashLockedCode, error.ErrorCode);
        Assert.Equal(TestService.Id, error.InterfaceId);
        Assert.Null(error.Status);
        Assert.Contains("flash is locked", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_interface_is_answered_with_status_UnknownInterface()
    {
        await using var bed = new RpcTestBed();
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.Client.InvokeAsync<U32Message, U32Message>(RpcTestBed.Device, 0x0999, 1, new U32Message(1), null, default)).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.UnknownInterface, error.Status);
        Assert.Equal(0x0999, error.InterfaceId);
    }

    [Fact]
    public async Task Unknown_command_is_answered_with_status_UnknownCommand()
    {
        await using var bed = new RpcTestBed();
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<U32Message, U32Message>(0x0099, new U32Message(1))).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.UnknownCommand, error.Status);
    }

    [Fact]
    public async Task Unregistered_interface_is_unknown_again()
    {
        await using var bed = new RpcTestBed();
        Assert.True(bed.Server.Unregister(TestService.Id));
        Assert.Null(bed.Service.EventSink);
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1))).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.UnknownInterface, error.Status);
        Assert.False(bed.Server.Unregister(TestService.Id));
    }

    [Fact]
    public async Task Registering_two_services_for_one_interface_is_refused()
    {
        await using var bed = new RpcTestBed();
        Assert.Throws<InvalidOperationException>(() => bed.Server.Register(new TestService()));
        Assert.Throws<InvalidOperationException>(() => bed.Server.Start());
    }

    [Fact]
    public async Task Short_request_payload_is_answered_BadPayload_naming_the_field()
    {
        await using var bed = new RpcTestBed();
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<EmptyMessage, U32Message>(TestService.AddOne, EmptyMessage.Instance)).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.BadPayload, error.Status);
        Assert.Contains("'value'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_payload_with_trailing_bytes_is_answered_BadPayload()
    {
        await using var bed = new RpcTestBed();
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<IncrementRequest, U32Message>(TestService.AddOne, new IncrementRequest(1, 2))).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.BadPayload, error.Status);
        Assert.Contains("trailing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversize_request_is_answered_BadPayload_without_executing()
    {
        await using var bed = new RpcTestBed(server: new RpcServerOptions { MaxRequestPayloadSize = 64 });
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<WriteAtRequest, EmptyMessage>(TestService.WriteAt, new WriteAtRequest(0, new byte[100]))).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.BadPayload, error.Status);
        Assert.Equal(0, bed.Service.Executed);
        await bed.CallAsync<WriteAtRequest, EmptyMessage>(TestService.WriteAt, new WriteAtRequest(0, new byte[58])).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Handler_exception_is_answered_InternalError_without_leaking_its_text()
    {
        await using var bed = new RpcTestBed();
        RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(
            () => bed.CallAsync<EmptyMessage, EmptyMessage>(TestService.Crash, EmptyMessage.Instance)).WaitAsync(HangGuard);
        Assert.Equal(RpcStatus.InternalError, error.Status);
        Assert.DoesNotContain("secret", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("keys", error.Message, StringComparison.OrdinalIgnoreCase);
        // The server keeps serving.
        Assert.Equal(2u, (await bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1)).WaitAsync(HangGuard)).Value);
    }

    [Fact]
    public async Task Undecodable_response_from_the_device_throws_RpcDecodeException()
    {
        var network = new FakePacketNetwork();
        var device = new NodeAddress(0x05);
        network.Advertise(device, new NodeCapabilities(1, 256, 1));
        await using FakePacketSocket deviceSocket = network.Bind(new Endpoint(device, WellKnownPorts.Rpc));
        await using var client = new RpcClient(network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)), new RpcClientOptions { OwnsSocket = true });

        Task<U32Message> call = client.InvokeAsync<U32Message, U32Message>(device, 7, 1, new U32Message(1), null, default);
        InboundPacket request = await deviceSocket.ReceiveAsync();
        RpcPacketHeader header = request.Header();
        var answer = new System.Buffers.ArrayBufferWriter<byte>();
        RpcPacket.Write(answer, header.AnswerWith(RpcPacketKind.Response), [0x01, 0x02]); // two bytes where a u32 belongs
        await deviceSocket.SendAsync(request.Source, answer.WrittenMemory);

        await Assert.ThrowsAsync<RpcDecodeException>(() => call).WaitAsync(HangGuard);
    }
}

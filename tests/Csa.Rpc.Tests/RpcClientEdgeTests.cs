using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using Microsoft.Extensions.Logging;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcClientEdgeTests
{
    private static readonly NodeAddress DeviceNode = new(0x05);

    private static (FakePacketNetwork Network, FakePacketSocket Device, RpcClient Client) RawDevice(byte receiveBuffers = 1)
    {
        var network = new FakePacketNetwork();
        network.Advertise(DeviceNode, new NodeCapabilities(1, 256, receiveBuffers));
        FakePacketSocket device = network.Bind(new Endpoint(DeviceNode, WellKnownPorts.Rpc));
        var client = new RpcClient(network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)), new RpcClientOptions { OwnsSocket = true, DefaultTimeout = TimeSpan.FromSeconds(30) });
        return (network, device, client);
    }

    private static byte[] Answer(RpcPacketHeader header, byte[] payload)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        RpcPacket.Write(output, header, payload);
        return output.WrittenSpan.ToArray();
    }

    [Fact]
    public async Task Answers_that_do_not_match_the_calls_interface_and_command_are_ignored()
    {
        (FakePacketNetwork network, FakePacketSocket device, RpcClient client) = RawDevice();
        await using FakePacketSocket otherPort = network.Bind(new Endpoint(DeviceNode, 0x20));
        await using (client)
        {
            Task<U32Message> call = client.InvokeAsync<U32Message, U32Message>(DeviceNode, 0x0010, 0x0001, new U32Message(1), null, default);
            InboundPacket request = await device.ReceiveAsync();
            RpcPacketHeader header = request.Header();

            // Same request id, but another command: a stale answer to an earlier use of the id.
            await device.SendAsync(request.Source, Answer(header.AnswerWith(RpcPacketKind.Response) with { MessageId = 0x0002 }, [9, 9, 9, 9]));
            // Not an RPC packet at all.
            await device.SendAsync(request.Source, new byte[] { 0x7F, 0x00 });
            // From another port of the same node.
            await otherPort.SendAsync(request.Source, Answer(header.AnswerWith(RpcPacketKind.Response), [8, 8, 8, 8]));
            Assert.False(call.IsCompleted);

            await device.SendAsync(request.Source, Answer(header.AnswerWith(RpcPacketKind.Response), [2, 0, 0, 0]));
            Assert.Equal(2u, (await call.WaitAsync(HangGuard)).Value);
        }
    }

    [Fact]
    public async Task Error_answer_with_an_unreserved_code_names_the_code_and_keeps_the_devices_text()
    {
        (_, FakePacketSocket device, RpcClient client) = RawDevice();
        await using (client)
        {
            Task<byte[]> call = client.InvokeRawAsync(DeviceNode, 0x0010, 0x0003, []);
            InboundPacket request = await device.ReceiveAsync();
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            RpcPacket.WriteError(output, request.Header().AnswerWith(RpcPacketKind.Error), 0x1234, "sector 3 is protected");
            await device.SendAsync(request.Source, output.WrittenMemory);

            RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(() => call).WaitAsync(HangGuard);
            Assert.Equal(0x1234, error.ErrorCode);
            Assert.Equal(0x0010, error.InterfaceId);
            Assert.Contains("0x1234", error.Message, StringComparison.Ordinal);
            Assert.Contains("sector 3 is protected", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Each_device_has_its_own_window()
    {
        var network = new FakePacketNetwork();
        var first = new NodeAddress(0x01);
        var second = new NodeAddress(0x02);
        network.Advertise(first, new NodeCapabilities(1, 256, 2));
        network.Advertise(second, new NodeCapabilities(1, 256, 3));
        var services = new[] { new TestService { HoldTarget = 2 }, new TestService { HoldTarget = 3 } };
        services[0].HoldGate = services[0].HoldTargetReached.Task;
        services[1].HoldGate = services[1].HoldTargetReached.Task;
        await using var server1 = new RpcServer(network.Bind(new Endpoint(first, WellKnownPorts.Rpc)), new RpcServerOptions { MaxConcurrentRequests = 16, OwnsSocket = true });
        await using var server2 = new RpcServer(network.Bind(new Endpoint(second, WellKnownPorts.Rpc)), new RpcServerOptions { MaxConcurrentRequests = 16, OwnsSocket = true });
        // Hold completes only with several running at once: the services opt out of arrival order.
        server1.Register(services[0], RpcExecution.Concurrent);
        server2.Register(services[1], RpcExecution.Concurrent);
        server1.Start();
        server2.Start();
        await using var client = new RpcClient(network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)), new RpcClientOptions { OwnsSocket = true });

        Task[] calls = Enumerable.Range(0, 40)
            .Select(i => (Task)client.InvokeAsync<U32Message, U32Message>(i % 2 == 0 ? first : second, TestService.Id, TestService.Hold, new U32Message((uint)i), null, default))
            .ToArray();
        await Task.WhenAll(calls).WaitAsync(HangGuard);

        Assert.Equal(2, services[0].PeakConcurrent);
        Assert.Equal(3, services[1].PeakConcurrent);
    }

    [Fact]
    public async Task Handler_failure_is_logged_with_its_exception_on_the_device_while_the_wire_carries_a_generic_text()
    {
        var logs = new CapturingLoggerFactory();
        await using var bed = new RpcTestBed(server: new RpcServerOptions { LoggerFactory = logs });
        await Assert.ThrowsAsync<RpcErrorException>(() => bed.CallAsync<EmptyMessage, EmptyMessage>(TestService.Crash, EmptyMessage.Instance)).WaitAsync(HangGuard);

        CapturingLoggerFactory.LogEntry entry = Assert.Single(logs.Entries, e => e.Level == LogLevel.Error);
        Assert.IsType<InvalidOperationException>(entry.Exception);
        Assert.Equal(typeof(RpcServer).FullName, entry.Category);
        Assert.Contains("0x0004", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_logs_resends_at_debug_level()
    {
        var logs = new CapturingLoggerFactory();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var bed = new RpcTestBed(client: new RpcClientOptions { LoggerFactory = logs, TimeProvider = time, MaxAttempts = 2 }, startServer: false);
        await Assert.ThrowsAsync<RpcTimeoutException>(() => time.DriveAsync(bed.CallAsync<U32Message, U32Message>(TestService.AddOne, new U32Message(1)), TimeSpan.FromSeconds(1)));
        CapturingLoggerFactory.LogEntry resend = Assert.Single(logs.Entries, e => e.EventId.Id == 102);
        Assert.Equal(LogLevel.Debug, resend.Level);
        Assert.Contains("attempt 2 of 2", resend.Message, StringComparison.Ordinal);
    }
}

using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

[Trait("Requirement", "REQ-RPC")]
public sealed class RpcEventTests
{
    [Fact]
    public async Task Event_reaches_subscribers_of_its_device_and_of_any_device_but_not_of_another_device()
    {
        await using var bed = new RpcTestBed();
        var fromDevice = new TaskCompletionSource<(NodeAddress, uint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fromAny = new TaskCompletionSource<(NodeAddress, uint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        int otherDevice = 0;
        int otherEvent = 0;
        using IDisposable a = bed.Client.SubscribeEvent<U32Message>(RpcTestBed.Device, TestService.Id, TestService.CounterEvent, (src, e) => fromDevice.TrySetResult((src, e.Value)));
        using IDisposable b = bed.Client.SubscribeEvent<U32Message>(NodeAddress.Broadcast, TestService.Id, TestService.CounterEvent, (src, e) => fromAny.TrySetResult((src, e.Value)));
        using IDisposable c = bed.Client.SubscribeEvent<U32Message>(new NodeAddress(0x02), TestService.Id, TestService.CounterEvent, (_, _) => Interlocked.Increment(ref otherDevice));
        using IDisposable d = bed.Client.SubscribeEvent<U32Message>(RpcTestBed.Device, TestService.Id, 0x0099, (_, _) => Interlocked.Increment(ref otherEvent));

        await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(7)).WaitAsync(HangGuard);

        Assert.Equal((RpcTestBed.Device, 7u), await fromDevice.Task.WaitAsync(HangGuard));
        Assert.Equal((RpcTestBed.Device, 7u), await fromAny.Task.WaitAsync(HangGuard));
        // The event was dispatched before the command's response arrived (same link, in order), so the
        // non-matching subscriptions have had their chance.
        Assert.Equal(0, otherDevice);
        Assert.Equal(0, otherEvent);
        Assert.Equal(1, bed.Server.GetStatistics().EventsPublished);
    }

    [Fact]
    public async Task Events_are_delivered_in_order_with_consecutive_sequence_numbers_on_the_wire()
    {
        await using var bed = new RpcTestBed();
        bed.Network.RecordPackets = true;
        var received = new List<uint>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using IDisposable subscription = bed.Client.SubscribeEvent<U32Message>(RpcTestBed.Device, TestService.Id, TestService.CounterEvent, (_, e) =>
        {
            received.Add(e.Value);
            if (received.Count == 20)
                all.SetResult();
        });

        for (uint i = 0; i < 20; i++)
            await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(i)).WaitAsync(HangGuard);
        await all.Task.WaitAsync(HangGuard);

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (uint)i), received);
        ushort[] sequence = bed.Network.SentPackets.Select(p => p.Header()).Where(h => h.Kind == RpcPacketKind.Event).Select(h => h.RequestId).ToArray();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (ushort)i), sequence);
    }

    [Fact]
    public async Task Disposed_subscription_receives_nothing_more()
    {
        await using var bed = new RpcTestBed();
        int count = 0;
        IDisposable subscription = bed.Client.SubscribeEvent<U32Message>(RpcTestBed.Device, TestService.Id, TestService.CounterEvent, (_, _) => Interlocked.Increment(ref count));
        subscription.Dispose();
        subscription.Dispose(); // twice is harmless

        await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(1)).WaitAsync(HangGuard);
        await Task.Delay(20);
        Assert.Equal(0, count);
    }

    [Fact]
    public async Task Throwing_handler_and_undecodable_event_do_not_stop_later_events()
    {
        await using var bed = new RpcTestBed();
        var later = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        using IDisposable subscription = bed.Client.SubscribeEvent<U32Message>(RpcTestBed.Device, TestService.Id, TestService.CounterEvent, (_, e) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
                throw new InvalidOperationException("subscriber bug");
            later.TrySetResult(e.Value);
        });

        await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(1)).WaitAsync(HangGuard);
        // A device sending a 2-byte payload where a u32 belongs.
        var bad = new System.Buffers.ArrayBufferWriter<byte>();
        RpcPacket.Write(bad, new RpcPacketHeader(RpcPacketKind.Event, RpcPacketFlags.None, TestService.Id, TestService.CounterEvent, 99), [0x01, 0x02]);
        await bed.DeviceSocket.SendAsync(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc), bad.WrittenMemory);
        await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(3)).WaitAsync(HangGuard);

        Assert.Equal(3u, await later.Task.WaitAsync(HangGuard));
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Server_publishes_to_every_configured_subscriber()
    {
        var network = new FakePacketNetwork();
        var device = new NodeAddress(0x03);
        await using var server = new RpcServer(network.Bind(new Endpoint(device, WellKnownPorts.Rpc)), new RpcServerOptions
        {
            OwnsSocket = true,
            EventSubscribers = [new Endpoint(NodeAddress.Host, 0x20), new Endpoint(new NodeAddress(0x04), 0x21)],
        });
        await using FakePacketSocket host = network.Bind(new Endpoint(NodeAddress.Host, 0x20));
        await using FakePacketSocket peer = network.Bind(new Endpoint(new NodeAddress(0x04), 0x21));

        await server.PublishAsync(0x0042, 0x0005, new U32Message(0xA1B2C3D4), default);

        // The server's first event of this id: sequence 0 and the FIRST flag (rpc-packets.md section 9).
        byte[] expected = Convert.FromHexString("0401420005000000D4C3B2A1");
        Assert.Equal(expected, (await host.ReceiveAsync()).Payload.ToArray());
        Assert.Equal(expected, (await peer.ReceiveAsync()).Payload.ToArray());
    }

    [Fact]
    public async Task Subscriber_that_falls_behind_its_queue_loses_the_newest_events_and_they_are_logged()
    {
        var logs = new CapturingLoggerFactory();
        await using var bed = new RpcTestBed(client: new RpcClientOptions { EventQueueCapacity = 1, LoggerFactory = logs, DefaultTimeout = TimeSpan.FromSeconds(30) });
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new ManualResetEventSlim();
        var received = new System.Collections.Concurrent.ConcurrentQueue<uint>();
        using IDisposable subscription = bed.Client.SubscribeEvent<U32Message>(RpcTestBed.Device, TestService.Id, TestService.CounterEvent, (_, e) =>
        {
            received.Enqueue(e.Value);
            entered.TrySetResult();
            gate.Wait(HangGuard); // a handler that blocks
        });

        await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(1)).WaitAsync(HangGuard);
        await entered.Task.WaitAsync(HangGuard);
        for (uint i = 2; i <= 5; i++)
            await bed.CallAsync<U32Message, EmptyMessage>(TestService.Publish, new U32Message(i)).WaitAsync(HangGuard);
        gate.Set();

        await WaitUntilAsync(() => received.Count == 2);
        Assert.Equal([1u, 2u], received);
        Assert.Equal(3, logs.Entries.Count(e => e.EventId.Id == 110));
    }
}

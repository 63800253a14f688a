using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>Point-to-point, daisy chain, star and shared bus, over in-memory links.</summary>
[Trait("Requirement", "REQ-TOPO")]
public class TopologyTests
{
    private const byte Port = WellKnownPorts.FirstApplicationPort;

    [Fact]
    public async Task Point_to_point_packets_flow_both_ways()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        TestNetwork.Connect(host, device);
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        await using IPacketSocket deviceSocket = device.OpenSocket(Port);

        await hostSocket.SendAsync(new Endpoint(new NodeAddress(0x01), Port), new byte[] { 1, 2, 3 }, TestNetwork.Guard());
        InboundPacket atDevice = await TestNetwork.ReceiveAsync(deviceSocket);
        Assert.Equal(new byte[] { 1, 2, 3 }, atDevice.Payload.ToArray());
        Assert.Equal(new Endpoint(NodeAddress.Host, Port), atDevice.Source);
        Assert.Equal(new Endpoint(new NodeAddress(0x01), Port), atDevice.Destination);

        await deviceSocket.SendAsync(atDevice.Source, new byte[] { 9 }, TestNetwork.Guard());
        InboundPacket atHost = await TestNetwork.ReceiveAsync(hostSocket);
        Assert.Equal(new byte[] { 9 }, atHost.Payload.ToArray());
        Assert.Equal(new Endpoint(new NodeAddress(0x01), Port), atHost.Source);
    }

    [Fact]
    public async Task Chain_of_four_devices_delivers_to_every_device_and_back()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, _) = network.Chain(4, assigned: true);
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        var deviceSockets = devices.Select(d => d.OpenSocket(Port)).ToArray();

        for (int round = 0; round < 2; round++) // the second round runs on learnt routes
        {
            for (int i = 0; i < devices.Length; i++)
            {
                var address = new NodeAddress((byte)(i + 1));
                byte[] payload = [(byte)i, (byte)round, 0x00, 0xAA];
                await hostSocket.SendAsync(new Endpoint(address, Port), payload, TestNetwork.Guard());
                InboundPacket request = await TestNetwork.ReceiveAsync(deviceSockets[i]);
                Assert.Equal(payload, request.Payload.ToArray());

                await deviceSockets[i].SendAsync(request.Source, payload.Reverse().ToArray(), TestNetwork.Guard());
                InboundPacket reply = await TestNetwork.ReceiveAsync(hostSocket);
                Assert.Equal(new Endpoint(address, Port), reply.Source);
                Assert.Equal(payload.Reverse().ToArray(), reply.Payload.ToArray());
            }
        }

        // Nobody received a packet meant for somebody else.
        foreach (IPacketSocket socket in deviceSockets)
            Assert.False(socket.Inbound.TryRead(out _));
        // Devices 1..3 forwarded; device 4 is the end of the line.
        Assert.True(devices[0].Counters.FramesForwarded >= 6);
        Assert.Equal(0, devices[3].Counters.FramesForwarded);
        // After the first round every device knows where each node is: nothing was flooded the wrong way.
        Assert.Same(devices[0].Links.Single(l => l.Role == LinkRole.Downstream), devices[0].GetRoute(new NodeAddress(4)));
        Assert.Same(devices[2].Links.Single(l => l.Role == LinkRole.Upstream), devices[2].GetRoute(NodeAddress.Host));
        foreach (IPacketSocket socket in deviceSockets)
            await socket.DisposeAsync();
    }

    [Fact]
    public async Task Large_packet_is_fragmented_through_the_chain_and_reassembled()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, _) = network.Chain(3, assigned: true, o => o with { MaxFrameSize = 128 });
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        await using IPacketSocket last = devices[2].OpenSocket(Port);
        NodeCapabilities capabilities = await hostSocket.GetCapabilitiesAsync(new NodeAddress(3), TestNetwork.Guard());
        Assert.Equal(128, capabilities.MaxFrameSize);

        byte[] packet = TestFrames.Payload(10_000, 1);
        await hostSocket.SendAsync(new Endpoint(new NodeAddress(3), Port), packet, TestNetwork.Guard());
        InboundPacket received = await TestNetwork.ReceiveAsync(last);
        Assert.Equal(packet, received.Payload.ToArray());
        int frames = (10_000 + 114) / 115; // 128-byte frames carry 115 payload bytes
        Assert.True(host.Links[0].Counters.FramesSent >= frames);
    }

    [Fact]
    public async Task Broadcast_is_delivered_by_every_node_of_the_chain_once()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, _) = network.Chain(4, assigned: true);
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        var sockets = devices.Select(d => d.OpenSocket(Port)).ToArray();

        await hostSocket.SendAsync(new Endpoint(NodeAddress.Broadcast, Port), new byte[] { 0x42 }, TestNetwork.Guard());
        foreach (IPacketSocket socket in sockets)
        {
            InboundPacket packet = await TestNetwork.ReceiveAsync(socket);
            Assert.Equal(NodeAddress.Broadcast, packet.Destination.Node);
            Assert.Equal(new byte[] { 0x42 }, packet.Payload.ToArray());
        }
        // A ping to the end of the chain proves every frame before it was processed; no second copy arrived.
        await host.PingAsync(new NodeAddress(4), TestNetwork.Guard());
        foreach (IPacketSocket socket in sockets)
            Assert.False(socket.Inbound.TryRead(out _));
        Assert.False(hostSocket.Inbound.TryRead(out _));
    }

    [Fact]
    public async Task Star_host_with_three_links_reaches_each_device_on_its_own_link()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        var devices = new DataLinkNode[3];
        var hostLinks = new NodeLink[3];
        for (int i = 0; i < 3; i++)
        {
            devices[i] = network.Node(new NodeAddress((byte)(0x10 + i)));
            (hostLinks[i], _) = TestNetwork.Connect(host, devices[i], $"star-{i}");
        }
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        var sockets = devices.Select(d => d.OpenSocket(Port)).ToArray();

        for (int i = 0; i < 3; i++)
        {
            var address = new NodeAddress((byte)(0x10 + i));
            await hostSocket.SendAsync(new Endpoint(address, Port), new byte[] { (byte)i }, TestNetwork.Guard());
            Assert.Equal(new byte[] { (byte)i }, (await TestNetwork.ReceiveAsync(sockets[i])).Payload.ToArray());
            await sockets[i].SendAsync(new Endpoint(NodeAddress.Host, Port), new byte[] { (byte)(i + 100) }, TestNetwork.Guard());
            Assert.Equal(address, (await TestNetwork.ReceiveAsync(hostSocket)).Source.Node);
            Assert.Same(hostLinks[i], host.GetRoute(address)); // learnt from the reply
        }

        // With routes known, a packet goes down one link only.
        long[] before = hostLinks.Select(l => l.Counters.FramesSent).ToArray();
        await hostSocket.SendAsync(new Endpoint(new NodeAddress(0x11), Port), new byte[] { 7 }, TestNetwork.Guard());
        await TestNetwork.ReceiveAsync(sockets[1]);
        Assert.Equal(before[0], hostLinks[0].Counters.FramesSent);
        Assert.Equal(before[1] + 1, hostLinks[1].Counters.FramesSent);
        Assert.Equal(before[2], hostLinks[2].Counters.FramesSent);
        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
    }

    [Fact]
    public async Task Explicit_route_wins_over_flooding()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode a = network.Node(new NodeAddress(0x01));
        DataLinkNode b = network.Node(new NodeAddress(0x02));
        (NodeLink toA, _) = TestNetwork.Connect(host, a, "a");
        (NodeLink toB, _) = TestNetwork.Connect(host, b, "b");
        host.SetRoute(new NodeAddress(0x02), toB);
        await using IPacketSocket socket = host.OpenSocket(Port);
        await using IPacketSocket atB = b.OpenSocket(Port);

        await socket.SendAsync(new Endpoint(new NodeAddress(0x02), Port), new byte[] { 1 }, TestNetwork.Guard());
        await TestNetwork.ReceiveAsync(atB);
        Assert.Equal(0, toA.Counters.FramesSent);
        Assert.Throws<ArgumentException>(() => host.SetRoute(NodeAddress.Broadcast, toA));
    }

    [Fact]
    public async Task Shared_bus_members_take_only_their_frames()
    {
        await using var bus = new SharedBus();
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        host.AddLink(bus.Join("host"), LinkRole.Downstream);
        var devices = new DataLinkNode[3];
        var sockets = new IPacketSocket[3];
        for (int i = 0; i < 3; i++)
        {
            devices[i] = network.Node(new NodeAddress((byte)(i + 1)));
            devices[i].AddLink(bus.Join($"device-{i + 1}"), LinkRole.Upstream);
            sockets[i] = devices[i].OpenSocket(Port);
        }
        await using IPacketSocket hostSocket = host.OpenSocket(Port);

        for (int i = 0; i < 3; i++)
        {
            var address = new NodeAddress((byte)(i + 1));
            await hostSocket.SendAsync(new Endpoint(address, Port), new byte[] { (byte)(i + 1) }, TestNetwork.Guard());
            Assert.Equal(new byte[] { (byte)(i + 1) }, (await TestNetwork.ReceiveAsync(sockets[i])).Payload.ToArray());
            await sockets[i].SendAsync(new Endpoint(NodeAddress.Host, Port), new byte[] { 0xA0 }, TestNetwork.Guard());
            Assert.Equal(address, (await TestNetwork.ReceiveAsync(hostSocket)).Source.Node);
        }
        // A device answers a ping only after it has processed every frame it heard before it.
        for (byte i = 1; i <= 3; i++)
            await host.PingAsync(new NodeAddress(i), TestNetwork.Guard());

        foreach (IPacketSocket socket in sockets)
            Assert.False(socket.Inbound.TryRead(out _));
        // Every device heard the frames for the others and dropped them without forwarding anything.
        foreach (DataLinkNode device in devices)
        {
            Assert.True(device.Counters.GetDropped(FrameDropReason.NotForThisNode) > 0, device.Counters.ToString());
            Assert.Equal(0, device.Counters.FramesForwarded);
        }
        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
    }

    [Fact]
    public async Task Loop_of_links_is_ended_by_the_hop_limit()
    {
        await using var network = new TestNetwork();
        // Three devices wired in a ring, each with two links, and nobody at address 0x50.
        DataLinkNode[] ring = [.. Enumerable.Range(1, 3).Select(i => network.Node(new NodeAddress((byte)i), o => o with { HopLimit = 8 }))];
        for (int i = 0; i < 3; i++)
        {
            (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair($"ring-{i}");
            ring[i].AddLink(a, LinkRole.Downstream);
            ring[(i + 1) % 3].AddLink(b, LinkRole.Upstream);
        }
        await using IPacketSocket socket = ring[0].OpenSocket(Port);
        await socket.SendAsync(new Endpoint(new NodeAddress(0x50), Port), new byte[] { 1 }, TestNetwork.Guard());

        // Each copy dies when its hop limit runs out; wait until the ring has gone quiet with the drops counted.
        using var guard = new CancellationTokenSource(TestNetwork.HangGuard);
        while (ring.Sum(n => n.Counters.GetDropped(FrameDropReason.HopLimitExceeded)) < 2)
            await Task.Delay(10, guard.Token);
        long forwarded = ring.Sum(n => n.Counters.FramesForwarded);
        Assert.InRange(forwarded, 1, 2 * 8);
    }

    [Fact]
    public async Task Concurrent_fragmented_packets_from_several_sockets_arrive_intact_through_the_chain()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, _) = network.Chain(3, assigned: true, o => o with { MaxFrameSize = 100 });
        DataLinkNode last = devices[2];
        await using IPacketSocket echo = last.OpenSocket(Port);
        IPacketSocket[] senders = [host.OpenSocket(0x20), host.OpenSocket(0x21), host.OpenSocket(0x22)];
        await senders[0].GetCapabilitiesAsync(new NodeAddress(3), TestNetwork.Guard());

        // The far device echoes every packet back to whoever sent it.
        using var stop = new CancellationTokenSource(TestNetwork.HangGuard);
        Task echoing = Task.Run(async () =>
        {
            await foreach (InboundPacket packet in echo.Inbound.ReadAllAsync(stop.Token))
                await echo.SendAsync(packet.Source, packet.Payload, stop.Token);
        });

        const int PacketsPerSender = 20;
        Task[] conversations = [.. senders.Select((socket, s) => Task.Run(async () =>
        {
            var random = new Random(s);
            for (int i = 0; i < PacketsPerSender; i++)
            {
                byte[] packet = new byte[random.Next(0, 2000)];
                random.NextBytes(packet);
                await socket.SendAsync(new Endpoint(new NodeAddress(3), Port), packet, TestNetwork.Guard());
                InboundPacket back = await TestNetwork.ReceiveAsync(socket);
                Assert.Equal(packet, back.Payload.ToArray());
            }
        }))];
        await Task.WhenAll(conversations).WaitAsync(TestNetwork.HangGuard);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => echoing);

        Assert.Equal(0, last.Counters.DroppedTotal);
        Assert.Equal(0, host.Counters.DroppedTotal);
        Assert.Equal(3 * PacketsPerSender, host.Counters.PacketsReceived - 1); // plus the capabilities response
        foreach (IPacketSocket socket in senders)
            await socket.DisposeAsync();
    }
}

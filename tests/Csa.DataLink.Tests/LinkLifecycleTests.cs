using System.Threading.Channels;
using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>A lost link is a typed error, never a hang; bad input never breaks a link.</summary>
[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-TOPO")]
public class LinkLifecycleTests
{
    private const byte Port = WellKnownPorts.Rpc;

    [Fact]
    public async Task Peer_closing_the_link_completes_Inbound_with_LinkClosedException_and_fails_sends()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("lost");
        NodeLink link = host.AddLink(hostEnd, LinkRole.Downstream);
        await using IPacketSocket socket = host.OpenSocket(Port);

        Task<bool> waiting = socket.Inbound.WaitToReadAsync(TestNetwork.Guard()).AsTask();
        await deviceEnd.DisposeAsync(); // the cable is pulled

        LinkClosedException error = await Assert.ThrowsAsync<LinkClosedException>(() => waiting);
        Assert.Equal("memory://lost/a", error.LinkName);
        await Assert.ThrowsAsync<LinkClosedException>(() => socket.Inbound.Completion);
        await link.Completion.WaitAsync(TestNetwork.HangGuard);
        Assert.False(link.IsOpen);
        Assert.IsType<LinkClosedException>(link.CloseReason);
        Assert.Empty(host.Links);

        await Assert.ThrowsAsync<LinkClosedException>(() => socket.SendAsync(new Endpoint(new NodeAddress(1), Port), new byte[] { 1 }, TestNetwork.Guard()));
        await Assert.ThrowsAsync<LinkClosedException>(() => host.GetCapabilitiesAsync(new NodeAddress(1), TestNetwork.Guard()));
    }

    [Fact]
    public async Task Transport_failure_is_reported_as_LinkClosedException_carrying_the_cause()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("failing");
        NodeLink link = host.AddLink(hostEnd, LinkRole.Downstream);
        await using IPacketSocket socket = host.OpenSocket(Port);

        await deviceEnd.Output.CompleteAsync(new IOException("serial port unplugged"));

        LinkClosedException error = await Assert.ThrowsAsync<LinkClosedException>(() => socket.Inbound.Completion.WaitAsync(TestNetwork.HangGuard));
        Assert.IsType<IOException>(error.InnerException);
        Assert.Contains("serial port unplugged", error.Message, StringComparison.Ordinal);
        Assert.Same(error.InnerException, link.CloseReason!.InnerException);
        await deviceEnd.DisposeAsync();
    }

    [Fact]
    public async Task Send_blocked_on_a_full_link_fails_with_LinkClosedException_when_the_link_breaks()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { MaxFrameSize = 1024 });
        // Nobody reads the far end and the pipe pauses after 64 bytes, so the send waits on back-pressure.
        var options = new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 64, resumeWriterThreshold: 32, useSynchronizationContext: false);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("stuck", options);
        host.AddLink(hostEnd, LinkRole.Downstream);
        await using IPacketSocket socket = host.OpenSocket(Port);

        Task send = socket.SendAsync(new Endpoint(new NodeAddress(1), Port), new byte[4000], TestNetwork.Guard());
        await Task.Delay(50);
        Assert.False(send.IsCompleted);
        await deviceEnd.DisposeAsync();
        await Assert.ThrowsAsync<LinkClosedException>(() => send.WaitAsync(TestNetwork.HangGuard));
    }

    [Fact]
    public async Task Star_host_keeps_working_when_one_of_its_links_is_lost()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode a = network.Node(new NodeAddress(0x01));
        (InMemoryTransport hostEnd, InMemoryTransport bEnd) = InMemoryTransport.CreatePair("b");
        TestNetwork.Connect(host, a, "a");
        NodeLink toB = host.AddLink(hostEnd, LinkRole.Downstream);
        host.SetRoute(new NodeAddress(0x02), toB);
        await using IPacketSocket socket = host.OpenSocket(Port);
        await using IPacketSocket atA = a.OpenSocket(Port);

        await bEnd.DisposeAsync();
        await toB.Completion.WaitAsync(TestNetwork.HangGuard);

        // The route to 0x02 names the dead link: a typed error, not silence.
        await Assert.ThrowsAsync<LinkClosedException>(() => socket.SendAsync(new Endpoint(new NodeAddress(0x02), Port), new byte[] { 1 }, TestNetwork.Guard()));
        // Device 0x01 is still reachable and the socket is still open.
        await socket.SendAsync(new Endpoint(new NodeAddress(0x01), Port), new byte[] { 2 }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 2 }, (await TestNetwork.ReceiveAsync(atA)).Payload.ToArray());
        Assert.False(socket.Inbound.Completion.IsCompleted);
    }

    [Fact]
    public async Task Disposing_a_socket_completes_Inbound_without_error_and_frees_the_port()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        IPacketSocket socket = host.OpenSocket(Port);
        Assert.Throws<PortInUseException>(() => host.OpenSocket(Port));
        await socket.DisposeAsync();
        await socket.Inbound.Completion.WaitAsync(TestNetwork.HangGuard);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => socket.SendAsync(new Endpoint(NodeAddress.Host, Port), new byte[] { 1 }));
        await using IPacketSocket again = host.OpenSocket(Port);
        Assert.Equal(new Endpoint(NodeAddress.Host, Port), again.LocalEndpoint);
    }

    [Fact]
    public async Task Disposing_the_node_stops_read_loops_and_completes_sockets_cleanly()
    {
        var node = new DataLinkNode();
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        NodeLink link = node.AddLink(a, LinkRole.Downstream);
        IPacketSocket socket = node.OpenSocket(Port);
        await node.DisposeAsync();
        await socket.Inbound.Completion.WaitAsync(TestNetwork.HangGuard);
        await link.Completion.WaitAsync(TestNetwork.HangGuard);
        // The node disposed the transport it owned: the other end reads end of stream.
        System.IO.Pipelines.ReadResult end = await b.Input.ReadAsync(TestNetwork.Guard());
        Assert.True(end.IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => node.OpenSocket(Port));
        await b.DisposeAsync();
    }

    [Fact]
    public async Task Removing_a_link_closes_it_and_disposes_its_transport()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair("removed");
        NodeLink link = host.AddLink(a, LinkRole.Downstream);
        await host.RemoveLinkAsync(link);
        Assert.False(link.IsOpen);
        Assert.Empty(host.Links);
        Assert.True((await b.Input.ReadAsync(TestNetwork.Guard())).IsCompleted);
        await b.DisposeAsync();
    }

    [Fact]
    public async Task Garbage_oversize_and_corrupt_frames_leave_the_link_usable()
    {
        await using var network = new TestNetwork();
        DataLinkNode device = network.Node(new NodeAddress(0x01), o => o with { MaxFrameSize = 64 });
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("noisy");
        NodeLink link = device.AddLink(deviceEnd, LinkRole.Upstream);
        await using IPacketSocket socket = device.OpenSocket(Port);

        var random = new Random(3);
        byte[] noise = new byte[5000];
        random.NextBytes(noise);
        await RawLink.WriteAsync(hostEnd, noise);                                   // line noise
        await RawLink.WriteAsync(hostEnd, Enumerable.Repeat((byte)0x33, 3000).ToArray()); // an endless run
        await RawLink.WriteAsync(hostEnd, [0x00]);
        byte[] good = TestFrames.Encode(TestFrames.Header(destination: 0x01, destinationPort: Port), [1, 2, 3]);
        byte[] corrupt = (byte[])good.Clone();
        corrupt[5] ^= 0x10;
        await RawLink.WriteAsync(hostEnd, corrupt);
        await RawLink.WriteAsync(hostEnd, good);

        InboundPacket packet = await TestNetwork.ReceiveAsync(socket);
        Assert.Equal(new byte[] { 1, 2, 3 }, packet.Payload.ToArray());
        Assert.True(link.IsOpen);
        Assert.True(link.Counters.OversizeFrames >= 1);
        Assert.True(link.Counters.Resynchronisations >= 2);
        Assert.Equal(link.Counters.Resynchronisations, link.Counters.DroppedTotal);
        Assert.Equal(1, link.Counters.PacketsReceived);

        // And it answers link management afterwards.
        await RawLink.WriteAsync(hostEnd, TestFrames.Encode(TestFrames.Header(destination: 0x01, destinationPort: 0, sourcePort: 0, packetId: 9), [0x01, 0x05, 0x00, 0x04]));
        ParsedFrame reply = await RawLink.ReadFrameAsync(hostEnd);
        Assert.Equal(new byte[] { 0x81, 0x05, 0x01, 64, 0, 8 }, reply.Payload);
        // The read that carried the noise has been fully accounted for by now.
        Assert.True(link.Counters.BytesReceived >= 8000);
        await hostEnd.DisposeAsync();
    }

    [Fact]
    public async Task Link_ending_mid_frame_counts_a_truncated_frame()
    {
        await using var network = new TestNetwork();
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair();
        NodeLink link = device.AddLink(deviceEnd, LinkRole.Upstream);
        byte[] frame = TestFrames.Encode(TestFrames.Header(destination: 0x01), [1, 2, 3]);
        await RawLink.WriteAsync(hostEnd, frame[..^3]);
        await hostEnd.DisposeAsync();
        await link.Completion.WaitAsync(TestNetwork.HangGuard);
        Assert.Equal(1, link.Counters.GetDropped(FrameDropReason.Truncated));
    }

    [Fact]
    public async Task Frames_for_unbound_ports_are_counted_not_queued()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        TestNetwork.Connect(host, device);
        await using IPacketSocket socket = host.OpenSocket(Port);
        await socket.SendAsync(new Endpoint(new NodeAddress(0x01), 0x99), new byte[] { 1 }, TestNetwork.Guard());
        await host.PingAsync(new NodeAddress(0x01), TestNetwork.Guard()); // everything before it has been processed
        Assert.Equal(1, device.Counters.GetDropped(FrameDropReason.PortNotBound));
    }

    [Fact]
    public async Task Full_socket_queue_drops_and_counts_instead_of_growing()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode device = network.Node(new NodeAddress(0x01), o => o with { SocketReceiveCapacity = 2 });
        TestNetwork.Connect(host, device);
        await using IPacketSocket sender = host.OpenSocket(Port);
        await using IPacketSocket receiver = device.OpenSocket(Port);
        for (int i = 0; i < 5; i++)
            await sender.SendAsync(new Endpoint(new NodeAddress(0x01), Port), new byte[] { (byte)i }, TestNetwork.Guard());
        await host.PingAsync(new NodeAddress(0x01), TestNetwork.Guard());
        Assert.Equal(3, device.Counters.GetDropped(FrameDropReason.SocketQueueFull));
        Assert.Equal(new byte[] { 0 }, (await TestNetwork.ReceiveAsync(receiver)).Payload.ToArray());
        Assert.Equal(new byte[] { 1 }, (await TestNetwork.ReceiveAsync(receiver)).Payload.ToArray());
    }

    [Fact]
    public async Task Packet_needing_more_than_256_frames_is_refused_before_anything_is_written()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair();
        NodeLink link = host.AddLink(a, LinkRole.Downstream);
        await using IPacketSocket socket = host.OpenSocket(Port);
        int perFrame = DataLinkProtocol.MinimumMaxFrameSize - DataLinkProtocol.FrameOverhead;
        PacketTooLargeException error = await Assert.ThrowsAsync<PacketTooLargeException>(
            () => socket.SendAsync(new Endpoint(new NodeAddress(1), Port), new byte[perFrame * 256 + 1], TestNetwork.Guard()));
        Assert.Equal(perFrame * 256, error.Maximum);
        Assert.Equal(0, link.Counters.FramesSent);
        await b.DisposeAsync();
    }

    [Fact]
    public void A_frame_carries_its_size_less_header_and_crc_and_a_size_outside_the_protocol_range_is_refused()
    {
        // protocol.md 6.1: a frame of F bytes carries F - 13 bytes of its packet.
        Assert.Equal(51, DataLinkProtocol.PayloadPerFrame(DataLinkProtocol.MinimumMaxFrameSize));
        Assert.Equal(1011, DataLinkProtocol.PayloadPerFrame(1024));
        Assert.Equal(65522, DataLinkProtocol.PayloadPerFrame(DataLinkProtocol.MaximumMaxFrameSize));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataLinkProtocol.PayloadPerFrame(DataLinkProtocol.MinimumMaxFrameSize - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataLinkProtocol.PayloadPerFrame(DataLinkProtocol.MaximumMaxFrameSize + 1));
    }

    [Fact]
    public async Task Node_without_links_reports_an_unreachable_node()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        await using IPacketSocket socket = host.OpenSocket(Port);
        await Assert.ThrowsAsync<NodeUnreachableException>(() => socket.SendAsync(new Endpoint(new NodeAddress(1), Port), new byte[] { 1 }));
    }

    [Fact]
    public async Task Packet_to_the_own_address_is_delivered_locally()
    {
        await using var network = new TestNetwork();
        DataLinkNode device = network.Node(new NodeAddress(0x05));
        await using IPacketSocket a = device.OpenSocket(0x20);
        await using IPacketSocket b = device.OpenSocket(0x21);
        await a.SendAsync(b.LocalEndpoint, new byte[] { 4 }, TestNetwork.Guard());
        InboundPacket packet = await TestNetwork.ReceiveAsync(b);
        Assert.Equal(a.LocalEndpoint, packet.Source);
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_the_option_named()
    {
        Assert.Equal("MaxFrameSize", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLinkNode(new DataLinkNodeOptions { MaxFrameSize = 63 })).ParamName);
        Assert.Equal("ReceiveBuffers", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLinkNode(new DataLinkNodeOptions { ReceiveBuffers = 0 })).ParamName);
        Assert.Equal("LocalAddress", Assert.Throws<ArgumentException>(() => new DataLinkNode(new DataLinkNodeOptions { LocalAddress = NodeAddress.Broadcast })).ParamName);
        Assert.Equal("HopLimit", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLinkNode(new DataLinkNodeOptions { HopLimit = 0 })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLinkNode().OpenSocket(WellKnownPorts.LinkManagement));
    }
}

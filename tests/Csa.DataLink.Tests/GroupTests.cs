using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>Group addresses (docs/protocol.md sections 2, 6.2, 6.3 and 7.6): one send, every member takes it, each hop carries it once.</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-INST")]
public class GroupTests
{
    private const byte Port = WellKnownPorts.FirstApplicationPort;
    private static readonly NodeAddress Group = NodeAddress.Group(0);

    [Fact]
    public async Task A_packet_sent_once_to_a_group_reaches_every_member_of_a_chain_and_each_hop_carries_it_once()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink) = network.Chain(4, assigned: true);
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        IPacketSocket[] sockets = devices.Select(d => d.OpenSocket(Port)).ToArray();
        foreach (int member in new[] { 0, 2, 3 })
            await host.JoinGroupAsync(devices[member].LocalAddress, Group, TestNetwork.Guard());
        Assert.Equal([Group], devices[0].Groups);
        Assert.Empty(devices[1].Groups);
        long sentBefore = hostLink.Counters.FramesSent;
        long[] forwardedBefore = devices.Select(d => d.Counters.FramesForwarded).ToArray();

        byte[] payload = [1, 2, 0, 3];
        await hostSocket.SendAsync(new Endpoint(Group, Port), payload, TestNetwork.Guard());
        foreach (int member in new[] { 0, 2, 3 })
        {
            InboundPacket packet = await TestNetwork.ReceiveAsync(sockets[member]);
            Assert.Equal(payload, packet.Payload.ToArray());
            Assert.Equal(new Endpoint(Group, Port), packet.Destination);
            Assert.Equal(new Endpoint(NodeAddress.Host, Port), packet.Source);
        }

        Assert.Equal(1, hostLink.Counters.FramesSent - sentBefore);
        Assert.Equal([1L, 1L, 1L, 0L], devices.Select((d, i) => d.Counters.FramesForwarded - forwardedBefore[i]).ToArray());

        // The answers of the members come back from their own addresses, so the sender tells them apart.
        await sockets[2].SendAsync(new Endpoint(NodeAddress.Host, Port), new byte[] { 3 }, TestNetwork.Guard());
        Assert.Equal(new NodeAddress(3), (await TestNetwork.ReceiveAsync(hostSocket)).Source.Node);
        Assert.False(sockets[1].Inbound.TryRead(out _)); // device 2 passed it on without taking it
        foreach (IPacketSocket socket in sockets)
            Assert.False(socket.Inbound.TryRead(out _)); // nobody took it twice
        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
    }

    [Fact]
    public async Task Join_and_leave_over_link_management_and_a_full_node_refuses()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, _) = network.Chain(2, assigned: true, o => o with { MaxGroups = 2 });
        NodeAddress second = devices[1].LocalAddress;

        await host.JoinGroupAsync(second, NodeAddress.Group(0), TestNetwork.Guard());
        await host.JoinGroupAsync(second, NodeAddress.Group(0), TestNetwork.Guard()); // joining again is harmless
        await host.JoinGroupAsync(second, NodeAddress.Group(13), TestNetwork.Guard());
        Assert.Equal([NodeAddress.Group(0), NodeAddress.Group(13)], devices[1].Groups);
        GroupRefusedException full = await Assert.ThrowsAsync<GroupRefusedException>(() => host.JoinGroupAsync(second, NodeAddress.Group(5), TestNetwork.Guard()));
        Assert.Equal(second, full.Node);
        Assert.Equal(NodeAddress.Group(5), full.Group);

        await host.LeaveGroupAsync(second, NodeAddress.Group(0), TestNetwork.Guard());
        Assert.Equal([NodeAddress.Group(13)], devices[1].Groups);
        await host.LeaveGroupAsync(second, NodeAddress.Group(0), TestNetwork.Guard()); // not a member: still answered
        await host.LeaveGroupAsync(second, NodeAddress.Broadcast, TestNetwork.Guard());
        Assert.Empty(devices[1].Groups);
        Assert.Empty(devices[0].Groups); // the forwarder joined nothing
    }

    [Fact]
    public async Task A_node_that_takes_no_groups_refuses_but_still_forwards_group_frames()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode forwarder = network.Node(new NodeAddress(1), o => o with { MaxGroups = 0 });
        DataLinkNode member = network.Node(new NodeAddress(2));
        TestNetwork.Connect(host, forwarder);
        TestNetwork.Connect(forwarder, member);
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        await using IPacketSocket forwarderSocket = forwarder.OpenSocket(Port);
        await using IPacketSocket memberSocket = member.OpenSocket(Port);

        await Assert.ThrowsAsync<GroupRefusedException>(() => host.JoinGroupAsync(forwarder.LocalAddress, Group, TestNetwork.Guard()));
        await host.JoinGroupAsync(member.LocalAddress, Group, TestNetwork.Guard());
        await hostSocket.SendAsync(new Endpoint(Group, Port), new byte[] { 7 }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 7 }, (await TestNetwork.ReceiveAsync(memberSocket)).Payload.ToArray());
        Assert.False(forwarderSocket.Inbound.TryRead(out _));
    }

    [Fact]
    public async Task A_join_that_no_one_answers_names_the_node()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = TimeSpan.FromMilliseconds(50), LinkManagementAttempts = 2 });
        (InMemoryTransport hostEnd, InMemoryTransport silent) = InMemoryTransport.CreatePair();
        host.AddLink(hostEnd, LinkRole.Downstream);
        NodeUnreachableException e = await Assert.ThrowsAsync<NodeUnreachableException>(() => host.JoinGroupAsync(new NodeAddress(7), Group, TestNetwork.Guard()));
        Assert.Equal(new NodeAddress(7), e.Node);
        Assert.Contains("knows no groups", e.Message, StringComparison.Ordinal);
        await silent.DisposeAsync();
    }

    [Fact]
    public async Task Forget_address_keeps_the_groups_and_a_group_is_never_a_source_or_a_member_name()
    {
        await using var network = new TestNetwork();
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        (InMemoryTransport hostEnd, InMemoryTransport upstream) = InMemoryTransport.CreatePair("up");
        device.AddLink(upstream, LinkRole.Upstream);
        await RawLink.WriteAsync(hostEnd, GoldenVectors.Frame("join-group").Encoded);
        await RawLink.ReadFrameAsync(hostEnd);
        await RawLink.WriteAsync(hostEnd, GoldenVectors.Frame("forget-addresses").Encoded);
        // A capabilities request to the unassigned address is answered only once the forget has been handled.
        await RawLink.WriteAsync(hostEnd, TestFrames.Encode(TestFrames.Header(destination: 0xFE, destinationPort: 0, sourcePort: 0, packetId: 9), [0x01, 0x11, 0x00, 0x04]));
        Assert.Equal(NodeAddress.Unassigned, (await RawLink.ReadFrameAsync(hostEnd)).Source.Node);
        Assert.Equal([Group], device.Groups);

        DataLinkNode host = network.Node(NodeAddress.Host);
        await Assert.ThrowsAsync<ArgumentException>(() => host.JoinGroupAsync(NodeAddress.Broadcast, Group));
        await Assert.ThrowsAsync<ArgumentException>(() => host.JoinGroupAsync(Group, Group));
        await Assert.ThrowsAsync<ArgumentException>(() => host.JoinGroupAsync(new NodeAddress(1), new NodeAddress(0x05)));
        Assert.Throws<ArgumentException>(() => device.JoinGroup(NodeAddress.Broadcast));
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeAddress.Group(14));
        Assert.Equal(new NodeAddress(0xFD), NodeAddress.Group(13));
        Assert.Equal("group 0xF0", Group.ToString());
        await hostEnd.DisposeAsync();
    }

    [Fact]
    public async Task A_star_sends_a_group_packet_on_the_links_of_its_group_path_in_frames_of_its_size()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        var devices = new DataLinkNode[3];
        var links = new NodeLink[3];
        var sockets = new IPacketSocket[3];
        for (int i = 0; i < 3; i++)
        {
            devices[i] = network.Node(new NodeAddress((byte)(i + 1)));
            (links[i], _) = TestNetwork.Connect(host, devices[i], $"star-{i}");
            sockets[i] = devices[i].OpenSocket(Port);
            await host.JoinGroupAsync(devices[i].LocalAddress, Group, TestNetwork.Guard());
        }
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        host.SetGroupPath(Group, [links[0], links[2]], maxFrameSize: 128);
        byte[] payload = TestFrames.Payload(1000, seed: 3);
        long[] framesBefore = links.Select(l => l.Counters.FramesSent).ToArray();

        await hostSocket.SendAsync(new Endpoint(Group, Port), payload, TestNetwork.Guard());
        Assert.Equal(payload, (await TestNetwork.ReceiveAsync(sockets[0])).Payload.ToArray());
        Assert.Equal(payload, (await TestNetwork.ReceiveAsync(sockets[2])).Payload.ToArray());
        int frames = (payload.Length + 128 - DataLinkProtocol.FrameOverhead - 1) / (128 - DataLinkProtocol.FrameOverhead);
        Assert.Equal(frames, links[0].Counters.FramesSent - framesBefore[0]);
        Assert.Equal(0, links[1].Counters.FramesSent - framesBefore[1]);
        Assert.False(sockets[1].Inbound.TryRead(out _));

        Assert.Throws<ArgumentOutOfRangeException>(() => host.SetGroupPath(Group, null, 63));
        host.SetGroupPath(Group, null, 1024); // every link
        await hostSocket.SendAsync(new Endpoint(Group, Port), new byte[] { 5 }, TestNetwork.Guard());
        foreach (IPacketSocket socket in sockets)
            Assert.Equal(new byte[] { 5 }, (await TestNetwork.ReceiveAsync(socket)).Payload.ToArray());
        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
    }

    [Fact]
    public async Task On_a_shared_bus_one_transmission_reaches_every_member()
    {
        await using var network = new TestNetwork();
        await using var bus = new SharedBus();
        DataLinkNode host = network.Node(NodeAddress.Host);
        host.AddLink(bus.Join("host"), LinkRole.Downstream);
        var sockets = new List<IPacketSocket>();
        for (int i = 1; i <= 3; i++)
        {
            DataLinkNode device = network.Node(new NodeAddress((byte)i));
            device.AddLink(bus.Join($"device-{i}"), LinkRole.Upstream);
            sockets.Add(device.OpenSocket(Port));
            if (i != 2)
                await host.JoinGroupAsync(device.LocalAddress, Group, TestNetwork.Guard());
        }
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        long sent = host.Counters.FramesSent;
        await hostSocket.SendAsync(new Endpoint(Group, Port), new byte[] { 9, 9 }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 9, 9 }, (await TestNetwork.ReceiveAsync(sockets[0])).Payload.ToArray());
        Assert.Equal(new byte[] { 9, 9 }, (await TestNetwork.ReceiveAsync(sockets[2])).Payload.ToArray());
        Assert.Equal(1, host.Counters.FramesSent - sent);
        Assert.False(sockets[1].Inbound.TryRead(out _));
        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
    }

    [Fact]
    public async Task A_member_answers_the_join_vector_and_forwards_the_group_vector_byte_for_byte()
    {
        await using var network = new TestNetwork();
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        (InMemoryTransport hostEnd, InMemoryTransport upstream) = InMemoryTransport.CreatePair("up");
        (InMemoryTransport downstream, InMemoryTransport nextEnd) = InMemoryTransport.CreatePair("down");
        device.AddLink(upstream, LinkRole.Upstream);
        device.AddLink(downstream, LinkRole.Downstream);
        await using IPacketSocket rpc = device.OpenSocket(WellKnownPorts.Rpc);

        await RawLink.WriteAsync(hostEnd, GoldenVectors.Frame("join-group").Encoded);
        ParsedFrame joined = await RawLink.ReadFrameAsync(hostEnd);
        GoldenFrame expected = GoldenVectors.Frame("group-joined");
        Assert.Equal(expected.Payload, joined.Payload);
        Assert.Equal(expected.Destination, joined.Destination);
        Assert.Equal(expected.Source, joined.Source);

        await RawLink.WriteAsync(hostEnd, GoldenVectors.Frame("group-write").Encoded);
        InboundPacket taken = await TestNetwork.ReceiveAsync(rpc);
        Assert.Equal(GoldenVectors.Frame("group-write").Payload, taken.Payload.ToArray());
        byte[] forwarded = await ReadRunAsync(nextEnd);
        Assert.Equal(Convert.ToHexString(GoldenVectors.Frame("group-write-forwarded").Encoded), Convert.ToHexString(forwarded));

        await RawLink.WriteAsync(hostEnd, GoldenVectors.Frame("leave-group").Encoded);
        Assert.Equal(GoldenVectors.Frame("group-left").Payload, (await RawLink.ReadFrameAsync(hostEnd)).Payload);
        Assert.Empty(device.Groups);
        await hostEnd.DisposeAsync();
        await nextEnd.DisposeAsync();
    }

    /// <summary>The next frame's bytes as written to the wire, without the leading idle delimiter (section 3.2).</summary>
    private static async Task<byte[]> ReadRunAsync(ILinkTransport transport)
    {
        var bytes = new List<byte>();
        while (true)
        {
            System.IO.Pipelines.ReadResult result = await transport.Input.ReadAsync(TestNetwork.Guard());
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
                bytes.AddRange(segment.ToArray());
            transport.Input.AdvanceTo(result.Buffer.End);
            int start = 0;
            while (start < bytes.Count && bytes[start] == 0)
                start++;
            int end = bytes.IndexOf(0, start);
            if (end >= 0)
                return [.. bytes.GetRange(start, end - start + 1)];
        }
    }
}

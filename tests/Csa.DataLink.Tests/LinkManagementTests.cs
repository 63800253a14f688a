using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>Capabilities and echo on port 0.</summary>
[Trait("Requirement", "REQ-TOPO")]
public class LinkManagementTests
{
    // Long enough that an answer that does come is never mistaken for a missing one on a loaded machine; the
    // end of a chain costs two of these.
    private static readonly TimeSpan ShortManagementTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Capabilities_are_asked_once_and_cached()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        DataLinkNode device = network.Node(new NodeAddress(0x07), o => o with { MaxFrameSize = 300, ReceiveBuffers = 3 });
        (NodeLink hostLink, _) = TestNetwork.Connect(host, device);
        await using IPacketSocket socket = host.OpenSocket(WellKnownPorts.Rpc);

        NodeCapabilities first = await socket.GetCapabilitiesAsync(new NodeAddress(0x07), TestNetwork.Guard());
        Assert.Equal(new NodeCapabilities(DataLinkProtocol.Version, 300, 3), first);
        long framesAfterFirst = hostLink.Counters.FramesSent;
        NodeCapabilities second = await socket.GetCapabilitiesAsync(new NodeAddress(0x07), TestNetwork.Guard());
        Assert.Equal(first, second);
        Assert.Equal(framesAfterFirst, hostLink.Counters.FramesSent);
        Assert.Equal(host.Capabilities, await host.GetCapabilitiesAsync(NodeAddress.Host));
    }

    [Fact]
    public async Task Path_frame_size_uses_the_minimum_until_capabilities_are_known()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { MaxFrameSize = 2048 });
        DataLinkNode device = network.Node(new NodeAddress(0x02), o => o with { MaxFrameSize = 512 });
        TestNetwork.Connect(host, device);
        Assert.Equal(DataLinkProtocol.MinimumMaxFrameSize, host.GetPathFrameSize(new NodeAddress(0x02)));
        await host.GetCapabilitiesAsync(new NodeAddress(0x02), TestNetwork.Guard());
        Assert.Equal(512, host.GetPathFrameSize(new NodeAddress(0x02)));
        Assert.Equal(DataLinkProtocol.MinimumMaxFrameSize, host.GetPathFrameSize(NodeAddress.Broadcast));
    }

    [Fact]
    public async Task Device_answers_in_frames_as_large_as_the_return_limit_of_the_hosts_request()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { MaxFrameSize = 600 });
        DataLinkNode device = network.Node(new NodeAddress(0x03), o => o with { MaxFrameSize = 2000 });
        TestNetwork.Connect(host, device);
        Assert.Equal(DataLinkProtocol.MinimumMaxFrameSize, device.GetPathFrameSize(NodeAddress.Host));

        await host.GetCapabilitiesAsync(new NodeAddress(0x03), TestNetwork.Guard());

        // The request said "at most 600 bytes back to me"; the device never asked the host anything.
        Assert.Equal(600, device.GetPathFrameSize(NodeAddress.Host));
        Assert.Equal(600, host.GetPathFrameSize(new NodeAddress(0x03)));
        await using IPacketSocket atDevice = device.OpenSocket(WellKnownPorts.Rpc);
        await using IPacketSocket atHost = host.OpenSocket(WellKnownPorts.Rpc);
        long before = device.Links[0].Counters.FramesSent;
        await atDevice.SendAsync(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc), new byte[1000], TestNetwork.Guard());
        Assert.Equal(1000, (await TestNetwork.ReceiveAsync(atHost)).Payload.Length);
        Assert.Equal(2, device.Links[0].Counters.FramesSent - before); // 587 + 413 payload bytes
    }

    [Fact]
    public async Task Ping_to_the_own_address_is_answered_locally()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        Assert.True(await host.PingAsync(NodeAddress.Host, TestNetwork.Guard()) >= TimeSpan.Zero);
    }

    [Fact]
    public async Task Ping_measures_a_round_trip_through_the_chain()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, _, _) = network.Chain(3, assigned: true);
        TimeSpan roundTrip = await host.PingAsync(new NodeAddress(3), TestNetwork.Guard());
        Assert.True(roundTrip >= TimeSpan.Zero);
    }

    [Fact]
    public async Task Unanswered_request_is_a_typed_error_naming_the_node()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        TestNetwork.Connect(host, device);
        var missing = new NodeAddress(0x33);
        NodeUnreachableException error = await Assert.ThrowsAsync<NodeUnreachableException>(() => host.GetCapabilitiesAsync(missing, TestNetwork.Guard()));
        Assert.Equal(missing, error.Node);
        await Assert.ThrowsAsync<NodeUnreachableException>(() => host.PingAsync(missing, TestNetwork.Guard()));
    }

    [Fact]
    public async Task Unknown_link_management_message_is_counted_and_not_answered()
    {
        await using var network = new TestNetwork();
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair();
        device.AddLink(deviceEnd, LinkRole.Upstream);
        await RawLink.WriteAsync(hostEnd, TestFrames.Encode(TestFrames.Header(destination: 0x01, destinationPort: 0, sourcePort: 0), [0x7E, 0x01]));
        await RawLink.WriteAsync(hostEnd, TestFrames.Encode(TestFrames.Header(destination: 0x01, destinationPort: 0, sourcePort: 0, packetId: 2), [0x01, 0x02]));             // no return limit
        await RawLink.WriteAsync(hostEnd, TestFrames.Encode(TestFrames.Header(destination: 0x01, destinationPort: 0, sourcePort: 0, packetId: 3), [0x01, 0x03, 0x3F, 0x00])); // return limit 63 < 64
        await RawLink.WriteAsync(hostEnd, TestFrames.Encode(TestFrames.Header(destination: 0x01, destinationPort: 0, sourcePort: 0, packetId: 4), [0x01, 0x04, 0x00, 0x01]));
        // Only the valid capabilities request after them is answered: the bad ones changed nothing.
        var reply = await RawLink.ReadFrameAsync(hostEnd);
        Assert.Equal(0x81, reply.Payload[0]);
        Assert.Equal(0x04, reply.Payload[1]);
        Assert.Equal(3, device.Counters.GetDropped(FrameDropReason.InvalidLinkManagement));
        await hostEnd.DisposeAsync();
    }

}

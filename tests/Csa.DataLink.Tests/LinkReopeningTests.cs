using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>
/// A host that opens its links again (a port that comes back with its board's power): its sockets outlive its links,
/// a wait for an answer ends when the link it went out on closes, and a link known to hold one device is enumerated
/// without waiting for a device after it.
/// </summary>
[Trait("Requirement", "REQ-RECOVER")]
[Trait("Requirement", "REQ-TOPO")]
public class LinkReopeningTests
{
    private const byte Port = WellKnownPorts.Rpc;

    [Fact]
    public async Task A_host_that_keeps_its_sockets_without_links_works_again_over_a_link_added_later()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { KeepSocketsWithoutLinks = true });
        DataLinkNode device = network.Node(new NodeAddress(0x01));
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("first");
        NodeLink first = host.AddLink(hostEnd, LinkRole.Downstream);
        await using IPacketSocket socket = host.OpenSocket(Port);

        await deviceEnd.DisposeAsync(); // the port went
        await first.Completion.WaitAsync(TestNetwork.HangGuard);

        Assert.False(socket.Inbound.Completion.IsCompleted);
        await Assert.ThrowsAsync<LinkClosedException>(() => socket.SendAsync(new Endpoint(new NodeAddress(0x01), Port), new byte[] { 1 }, TestNetwork.Guard()));
        // The port is back: the same socket reaches the device over the new link.
        TestNetwork.Connect(host, device, "second");
        await using IPacketSocket atDevice = device.OpenSocket(Port);
        await socket.SendAsync(new Endpoint(new NodeAddress(0x01), Port), new byte[] { 2 }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 2 }, (await TestNetwork.ReceiveAsync(atDevice)).Payload.ToArray());
    }

    [Fact]
    public async Task The_route_token_of_a_destination_is_cancelled_when_the_link_carrying_it_closes_and_only_that_one()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { KeepSocketsWithoutLinks = true });
        (InMemoryTransport aHost, InMemoryTransport aDevice) = InMemoryTransport.CreatePair("a");
        (InMemoryTransport bHost, InMemoryTransport bDevice) = InMemoryTransport.CreatePair("b");
        NodeLink a = host.AddLink(aHost, LinkRole.Downstream);
        NodeLink b = host.AddLink(bHost, LinkRole.Downstream);
        host.SetRoute(new NodeAddress(0x01), a);
        host.SetRoute(new NodeAddress(0x02), b);
        await using IPacketSocket socket = host.OpenSocket(Port);
        CancellationToken viaA = socket.RouteClosedToken(new NodeAddress(0x01));
        CancellationToken viaB = socket.RouteClosedToken(new NodeAddress(0x02));

        // Flooded over two links, or broadcast: no one link carries it.
        Assert.False(socket.RouteClosedToken(new NodeAddress(0x03)).CanBeCanceled);
        Assert.False(socket.RouteClosedToken(NodeAddress.Broadcast).CanBeCanceled);
        await aDevice.DisposeAsync();
        await a.Completion.WaitAsync(TestNetwork.HangGuard);

        Assert.True(viaA.IsCancellationRequested);
        Assert.False(viaB.IsCancellationRequested);
        await bDevice.DisposeAsync();
    }

    [Fact]
    public async Task A_link_that_holds_one_device_is_enumerated_without_waiting_for_a_device_after_it()
    {
        // Link management on a clock that never moves: waiting for a missing device would never end, so the
        // enumeration completing shows it did not wait.
        var frozen = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink) = network.Chain(2, assigned: false, o => o with { TimeProvider = frozen });

        IReadOnlyList<ChainMember> one = await host.EnumerateChainAsync(hostLink, NodeAddress.FirstDevice, maxDevices: 1, TestNetwork.Guard());
        IReadOnlyList<ChainMember> two = await host.EnumerateChainAsync(hostLink, 0x10, maxDevices: 2, TestNetwork.Guard());

        Assert.Equal([NodeAddress.FirstDevice], one.Select(m => m.Address.Value));
        // The range bounds the addresses: the second device is only reached by the enumeration that has room for it.
        Assert.Equal([0x10, 0x11], two.Select(m => (int)m.Address.Value));
        Assert.Equal(new NodeAddress(0x11), devices[1].LocalAddress);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.EnumerateChainAsync(hostLink, NodeAddress.FirstDevice, maxDevices: 0));
    }
}

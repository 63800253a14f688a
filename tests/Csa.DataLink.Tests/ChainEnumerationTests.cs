using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>Daisy-chain enumeration (protocol.md 7.3, 7.4). A separate class so its timeouts run in parallel with the rest.</summary>
[Trait("Requirement", "REQ-TOPO")]
public class ChainEnumerationTests
{
    // Long enough that an answer that does come is never mistaken for a missing one on a loaded machine; the
    // end of a chain costs two of these.
    private static readonly TimeSpan ShortManagementTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Fresh_chain_of_four_is_enumerated_in_order_with_capabilities()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink) = network.Chain(4, assigned: false, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        Assert.All(devices, d => Assert.Equal(NodeAddress.Unassigned, d.LocalAddress));

        IReadOnlyList<ChainMember> chain = await host.EnumerateChainAsync(hostLink, cancellationToken: TestNetwork.Guard());

        Assert.Equal([1, 2, 3, 4], chain.Select(m => (int)m.Address.Value));
        Assert.Equal([0, 1, 2, 3], chain.Select(m => m.Position));
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(new NodeAddress((byte)(i + 1)), devices[i].LocalAddress);
            Assert.Equal(devices[i].Capabilities, chain[i].Capabilities);
            Assert.Same(hostLink, host.GetRoute(chain[i].Address));
        }

        // The assigned chain works for ordinary traffic.
        await using IPacketSocket hostSocket = host.OpenSocket(WellKnownPorts.Rpc);
        await using IPacketSocket last = devices[3].OpenSocket(WellKnownPorts.Rpc);
        await hostSocket.SendAsync(new Endpoint(new NodeAddress(4), WellKnownPorts.Rpc), new byte[] { 0xEE }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 0xEE }, (await TestNetwork.ReceiveAsync(last)).Payload.ToArray());
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_device_that_lost_its_address_gets_it_back_alone_while_the_others_keep_theirs()
    {
        // protocol.md 7.5: a device of a chain loses its address (a power cut; here it is told to forget it); the host
        // gives it back without a broadcast, so the devices around it are never unaddressed.
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink) = network.Chain(3, assigned: false, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        await host.EnumerateChainAsync(hostLink, cancellationToken: TestNetwork.Guard());
        byte[] forget = Csa.DataLink.Internal.LinkManagementMessage.Create(Csa.DataLink.Internal.LinkManagementType.ForgetAddress, 0, []);
        await host.SendPacketAsync(WellKnownPorts.LinkManagement, new Endpoint(new NodeAddress(2), WellKnownPorts.LinkManagement), forget, hostLink, TestNetwork.Guard());
        using (var wait = new CancellationTokenSource(TestNetwork.HangGuard))
        {
            while (devices[1].LocalAddress != NodeAddress.Unassigned)
                await Task.Delay(5, wait.Token);
        }

        NodeCapabilities? capabilities = await host.AssignAddressAsync(hostLink, new NodeAddress(2), TestNetwork.Guard());

        Assert.Equal(devices[1].Capabilities, capabilities);
        Assert.Equal([1, 2, 3], devices.Select(d => (int)d.LocalAddress.Value));
        Assert.Same(hostLink, host.GetRoute(new NodeAddress(2)));
        await using IPacketSocket hostSocket = host.OpenSocket(WellKnownPorts.Rpc);
        await using IPacketSocket second = devices[1].OpenSocket(WellKnownPorts.Rpc);
        await hostSocket.SendAsync(new Endpoint(new NodeAddress(2), WellKnownPorts.Rpc), new byte[] { 0x5A }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 0x5A }, (await TestNetwork.ReceiveAsync(second)).Payload.ToArray());
    }

    [Fact]
    public async Task Assigning_an_address_when_no_device_lost_one_answers_null()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink) = network.Chain(2, assigned: false, o => o with { LinkManagementTimeout = TimeSpan.FromMilliseconds(400) });
        await host.EnumerateChainAsync(hostLink, cancellationToken: TestNetwork.Guard());

        Assert.Null(await host.AssignAddressAsync(hostLink, new NodeAddress(9), TestNetwork.Guard()));
        Assert.Equal([1, 2], devices.Select(d => (int)d.LocalAddress.Value));
    }

    [Fact]
    public async Task Enumerating_again_reassigns_the_whole_chain_from_the_new_first_address()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink) = network.Chain(3, assigned: false, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        await host.EnumerateChainAsync(hostLink, cancellationToken: TestNetwork.Guard());
        IReadOnlyList<ChainMember> again = await host.EnumerateChainAsync(hostLink, firstAddress: 0x20, TestNetwork.Guard());
        Assert.Equal([0x20, 0x21, 0x22], again.Select(m => (int)m.Address.Value));
        Assert.Equal([0x20, 0x21, 0x22], devices.Select(d => (int)d.LocalAddress.Value));
    }

    [Fact]
    public async Task Enumeration_records_the_smallest_frame_size_along_the_path()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        int[] sizes = [1024, 128, 512];
        var devices = new DataLinkNode[3];
        DataLinkNode previous = host;
        NodeLink? hostLink = null;
        for (int i = 0; i < 3; i++)
        {
            int size = sizes[i];
            devices[i] = network.Node(NodeAddress.Unassigned, o => o with { MaxFrameSize = size });
            (NodeLink upper, _) = TestNetwork.Connect(previous, devices[i], $"c{i}");
            hostLink ??= upper;
            previous = devices[i];
        }
        IReadOnlyList<ChainMember> chain = await host.EnumerateChainAsync(hostLink!, cancellationToken: TestNetwork.Guard());
        Assert.Equal(3, chain.Count);
        Assert.Equal(1024, host.GetPathFrameSize(new NodeAddress(1)));
        Assert.Equal(128, host.GetPathFrameSize(new NodeAddress(2)));
        Assert.Equal(128, host.GetPathFrameSize(new NodeAddress(3))); // device 3 takes 512, but device 2 in front of it only 128
        // And each device was told how large its frames back to the host may be.
        Assert.Equal(1024, devices[0].GetPathFrameSize(NodeAddress.Host));
        Assert.Equal(128, devices[1].GetPathFrameSize(NodeAddress.Host)); // capped by its own 128
        Assert.Equal(128, devices[2].GetPathFrameSize(NodeAddress.Host));
    }

    [Fact]
    public async Task Star_host_enumerates_each_link_with_its_own_address_range()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        var links = new NodeLink[2];
        for (int i = 0; i < 2; i++)
        {
            DataLinkNode device = network.Node(NodeAddress.Unassigned);
            (links[i], _) = TestNetwork.Connect(host, device, $"star-{i}");
        }
        IReadOnlyList<ChainMember> first = await host.EnumerateChainAsync(links[0], 0x01, TestNetwork.Guard());
        IReadOnlyList<ChainMember> second = await host.EnumerateChainAsync(links[1], 0x40, TestNetwork.Guard());
        Assert.Equal(new NodeAddress(0x01), Assert.Single(first).Address);
        Assert.Equal(new NodeAddress(0x40), Assert.Single(second).Address);
        Assert.Same(links[1], host.GetRoute(new NodeAddress(0x40)));
    }

    [Fact]
    public async Task Device_with_a_fixed_address_ignores_assignment_and_forget()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        DataLinkNode fixedDevice = network.Node(new NodeAddress(0x09), o => o with { AllowAddressAssignment = false });
        (NodeLink link, _) = TestNetwork.Connect(host, fixedDevice);
        IReadOnlyList<ChainMember> chain = await host.EnumerateChainAsync(link, cancellationToken: TestNetwork.Guard());
        Assert.Empty(chain);
        Assert.Equal(new NodeAddress(0x09), fixedDevice.LocalAddress);
    }

    [Fact]
    public async Task Lost_address_assigned_answer_is_recovered_by_asking_the_address_itself()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = ShortManagementTimeout });
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("lossy");
        NodeLink link = host.AddLink(hostEnd, LinkRole.Downstream);
        Task<IReadOnlyList<ChainMember>> enumeration = host.EnumerateChainAsync(link, cancellationToken: TestNetwork.Guard());

        // A hand-driven device whose "address assigned" answer gets lost on the wire.
        ParsedFrame forget = await RawLink.ReadFrameAsync(deviceEnd);
        Assert.Equal(new Endpoint(NodeAddress.Broadcast, 0), forget.Destination);
        Assert.Equal(0x04, forget.Payload[0]);
        ParsedFrame assign = await RawLink.ReadFrameAsync(deviceEnd);
        Assert.Equal(NodeAddress.Unassigned, assign.Destination.Node);
        Assert.Equal(new byte[] { 0x03, assign.Payload[1], 0x01, 0x00, 0x04 }, assign.Payload);
        // (no answer) -> the host asks 0x01 directly, with the same return limit
        ParsedFrame check = await RawLink.ReadFrameAsync(deviceEnd);
        Assert.Equal(new Endpoint(new NodeAddress(0x01), 0), check.Destination);
        Assert.Equal(new byte[] { 0x01, check.Payload[1], 0x00, 0x04 }, check.Payload);
        byte[] capabilities = [0x81, check.Payload[1], 0x01, 0x00, 0x02, 0x04];
        await RawLink.WriteAsync(deviceEnd, TestFrames.Encode(TestFrames.Header(destination: 0x00, destinationPort: 0, source: 0x01, sourcePort: 0), capabilities));
        // Next position: nobody there.
        Assert.Equal(0x03, (await RawLink.ReadFrameAsync(deviceEnd)).Payload[0]);
        Assert.Equal(0x01, (await RawLink.ReadFrameAsync(deviceEnd)).Payload[0]);

        IReadOnlyList<ChainMember> chain = await enumeration.WaitAsync(TestNetwork.HangGuard);
        ChainMember member = Assert.Single(chain);
        Assert.Equal(new NodeAddress(0x01), member.Address);
        Assert.Equal(new NodeCapabilities(1, 512, 4), member.Capabilities);
        await deviceEnd.DisposeAsync();
    }

}

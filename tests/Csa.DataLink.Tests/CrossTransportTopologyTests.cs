using System.Net;
using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>
/// The router over the real transports rather than in-memory pipes: a daisy chain of UART-like emulated links
/// (byte timing, and line noise in one test) and a network of TCP connections.
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
public class CrossTransportTopologyTests
{
    private const byte Port = WellKnownPorts.FirstApplicationPort;

    /// <summary>host → d1 → d2 → d3 → d4, every hop an emulated 1 Mbaud 8N1 link with 200 µs latency.</summary>
    private static (DataLinkNode Host, DataLinkNode[] Devices, NodeLink HostLink, EmulatedLink[] Links) EmulatedChain(
        TestNetwork network, EmulatedChannelOptions channel, int seed, bool assigned = false)
    {
        // The end of the chain is found by a missing answer, so the management timeout bounds the enumeration.
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = TimeSpan.FromSeconds(2) });
        var devices = new DataLinkNode[4];
        var links = new EmulatedLink[4];
        NodeLink? hostLink = null;
        DataLinkNode upper = host;
        for (int i = 0; i < devices.Length; i++)
        {
            devices[i] = network.Node(assigned ? new NodeAddress((byte)(i + 1)) : NodeAddress.Unassigned);
            links[i] = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel, seed + i));
            NodeLink link = upper.AddLink(links[i].A, LinkRole.Downstream);
            devices[i].AddLink(links[i].B, LinkRole.Upstream);
            hostLink ??= link;
            upper = devices[i];
        }
        return (host, devices, hostLink!, links);
    }

    [Fact]
    public async Task A_fresh_chain_of_four_over_emulated_uart_links_is_enumerated_and_every_node_answers()
    {
        await using var network = new TestNetwork();
        var channel = new EmulatedChannelOptions { BaudRate = 1_000_000, Latency = TimeSpan.FromMicroseconds(200) };
        (DataLinkNode host, DataLinkNode[] devices, NodeLink hostLink, EmulatedLink[] links) = EmulatedChain(network, channel, seed: 1);

        IReadOnlyList<ChainMember> chain = await host.EnumerateChainAsync(hostLink, cancellationToken: TestNetwork.Guard());

        Assert.Equal([1, 2, 3, 4], chain.Select(m => (int)m.Address.Value));
        Assert.Equal([1, 2, 3, 4], devices.Select(d => (int)d.LocalAddress.Value));

        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        IPacketSocket[] deviceSockets = devices.Select(d => d.OpenSocket(Port)).ToArray();
        var payload = new byte[3000]; // several frames per packet at every hop
        new Random(5).NextBytes(payload);
        for (int i = 0; i < devices.Length; i++)
        {
            var device = new Endpoint(chain[i].Address, Port);
            await hostSocket.SendAsync(device, payload, TestNetwork.Guard());
            InboundPacket request = await TestNetwork.ReceiveAsync(deviceSockets[i]);
            Assert.Equal(payload, request.Payload.ToArray());

            byte[] answer = payload.Reverse().ToArray();
            await deviceSockets[i].SendAsync(request.Source, answer, TestNetwork.Guard());
            InboundPacket reply = await TestNetwork.ReceiveAsync(hostSocket);
            Assert.Equal(device, reply.Source);
            Assert.Equal(answer, reply.Payload.ToArray());
        }

        Assert.All(links, l => Assert.True(l.AToBCounters.BytesDelivered > 0));
        foreach (IPacketSocket socket in deviceSockets)
            await socket.DisposeAsync();
        foreach (EmulatedLink link in links)
            await link.DisposeAsync();
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task Line_noise_on_every_hop_of_the_chain_never_delivers_a_corrupted_packet()
    {
        await using var network = new TestNetwork();
        var channel = new EmulatedChannelOptions { BaudRate = 1_000_000, BitErrorRate = 2e-4 };
        (DataLinkNode host, DataLinkNode[] devices, _, EmulatedLink[] links) = EmulatedChain(network, channel, seed: 42, assigned: true);

        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        await using IPacketSocket lastDevice = devices[3].OpenSocket(Port);
        var sent = new HashSet<string>();
        var random = new Random(9);
        for (int i = 0; i < 300; i++)
        {
            var packet = new byte[200];
            random.NextBytes(packet);
            packet[0] = (byte)i;
            sent.Add(Convert.ToHexString(packet));
            await hostSocket.SendAsync(new Endpoint(new NodeAddress(4), Port), packet, TestNetwork.Guard());
        }

        // Wait until the line is quiet, then count what arrived: some packets are lost to noise, none is altered.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        int received = 0;
        while (lastDevice.Inbound.TryRead(out InboundPacket? packet))
        {
            Assert.Contains(Convert.ToHexString(packet.Payload.Span), sent);
            received++;
        }

        long crcErrors = devices.Sum(d => d.Counters.CrcErrors) + devices.Sum(d => d.Links.Sum(l => l.Counters.CrcErrors));
        long bitsFlipped = links.Sum(l => l.AToBCounters.BitsFlipped);
        Assert.True(bitsFlipped > 0, "the emulated line flipped no bit; the test proves nothing");
        Assert.True(crcErrors > 0 || received < 300, $"bits were flipped ({bitsFlipped}) yet nothing was dropped");
        Assert.True(received > 0, "noise at 2e-4 should let most 200-byte packets through");
        foreach (EmulatedLink link in links)
            await link.DisposeAsync();
    }

    [Fact]
    public async Task Network_topology_host_reaches_three_devices_each_over_its_own_tcp_connection()
    {
        await using var network = new TestNetwork();
        DataLinkNode host = network.Node(NodeAddress.Host);
        var devices = new DataLinkNode[3];
        var listeners = new TcpLinkListener[3];
        for (int i = 0; i < devices.Length; i++)
        {
            devices[i] = network.Node(new NodeAddress((byte)(0x20 + i)));
            listeners[i] = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
            Task<TcpTransport> accept = listeners[i].AcceptAsync(TestNetwork.Guard());
            TcpTransport client = await TcpTransport.ConnectAsync("127.0.0.1", listeners[i].LocalEndPoint.Port, cancellationToken: TestNetwork.Guard());
            devices[i].AddLink(await accept, LinkRole.Upstream);
            NodeLink hostLink = host.AddLink(client, LinkRole.Downstream);
            host.SetRoute(devices[i].LocalAddress, hostLink);
        }

        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        IPacketSocket[] sockets = devices.Select(d => d.OpenSocket(Port)).ToArray();
        for (int i = 0; i < devices.Length; i++)
        {
            NodeCapabilities capabilities = await hostSocket.GetCapabilitiesAsync(devices[i].LocalAddress, TestNetwork.Guard());
            Assert.Equal(devices[i].Capabilities, capabilities);

            var payload = new byte[10_000];
            new Random(i).NextBytes(payload);
            await hostSocket.SendAsync(new Endpoint(devices[i].LocalAddress, Port), payload, TestNetwork.Guard());
            Assert.Equal(payload, (await TestNetwork.ReceiveAsync(sockets[i])).Payload.ToArray());
            await sockets[i].SendAsync(new Endpoint(NodeAddress.Host, Port), new byte[] { (byte)i }, TestNetwork.Guard());
            Assert.Equal(devices[i].LocalAddress, (await TestNetwork.ReceiveAsync(hostSocket)).Source.Node);
            // Nothing leaked onto another device's connection.
            Assert.All(sockets.Where((_, j) => j != i), s => Assert.False(s.Inbound.TryRead(out _)));
        }

        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
        foreach (TcpLinkListener listener in listeners)
            await listener.DisposeAsync();
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink.Internal;
using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;
using Microsoft.Extensions.Time.Testing;

namespace Csa.DataLink.Tests;

/// <summary>
/// Cut-through forwarding in nodes (protocol.md 6.3.1): a chain whose devices pass frames on while they arrive
/// delivers what store-and-forward delivers, sends the same bytes, drops what is bad one hop later, and never lets a
/// stalled upstream hold a link.
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
public class CutThroughTests
{
    private const byte Port = WellKnownPorts.FirstApplicationPort;

    private static DataLinkNodeOptions CutThrough(DataLinkNodeOptions options) => options with { Forwarding = ForwardingMode.CutThrough };

    /// <summary>host → d1 → … → dN over emulated 115200 baud links; the devices forward cut-through.</summary>
    private static (DataLinkNode Host, DataLinkNode[] Devices, EmulatedLink[] Links) EmulatedChain(TestNetwork network, int count,
        EmulatedChannelOptions? channel = null, Func<int, EmulatedChannelOptions?>? perHop = null, ForwardingMode forwarding = ForwardingMode.CutThrough)
    {
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = TimeSpan.FromSeconds(2) });
        var devices = new DataLinkNode[count];
        var links = new EmulatedLink[count];
        DataLinkNode upper = host;
        for (int i = 0; i < count; i++)
        {
            devices[i] = network.Node(NodeAddress.Unassigned, o => o with { Forwarding = forwarding });
            EmulatedChannelOptions hop = perHop?.Invoke(i) ?? channel ?? new EmulatedChannelOptions { BaudRate = 115_200, Latency = TimeSpan.FromMilliseconds(1) };
            links[i] = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(hop, seed: 10 + i));
            upper.AddLink(links[i].A, LinkRole.Downstream);
            devices[i].AddLink(links[i].B, LinkRole.Upstream);
            upper = devices[i];
        }
        return (host, devices, links);
    }

    [Fact]
    public async Task A_burst_of_large_packets_down_a_cut_through_chain_and_answers_up_it_all_arrive_intact()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode[] devices, EmulatedLink[] links) = EmulatedChain(network, 4);
        await host.EnumerateChainAsync(host.Links[0], cancellationToken: TestNetwork.Guard()); // paths of 1024-byte frames
        await using IPacketSocket hostSocket = host.OpenSocket(Port);
        IPacketSocket[] sockets = devices.Select(d => d.OpenSocket(Port)).ToArray();

        // Every device answers every packet at once, so answers from the far end cross the near devices' own answers.
        Task[] echo = sockets.Select(socket => Task.Run(async () =>
        {
            for (int n = 0; n < 6; n++)
            {
                InboundPacket request = await TestNetwork.ReceiveAsync(socket);
                await socket.SendAsync(request.Source, request.Payload.ToArray().Reverse().ToArray(), TestNetwork.Guard());
            }
        })).ToArray();
        var sent = new List<byte[]>();
        for (int n = 0; n < 6; n++)
        {
            for (int d = 0; d < devices.Length; d++)
            {
                byte[] payload = TestFrames.Payload(900 + (37 * n) + d, seed: (n * 10) + d);
                sent.Add(payload);
                await hostSocket.SendAsync(new Endpoint(new NodeAddress((byte)(d + 1)), Port), payload, TestNetwork.Guard());
            }
        }
        var answers = new HashSet<string>();
        for (int i = 0; i < sent.Count; i++)
            answers.Add(Convert.ToHexString((await TestNetwork.ReceiveAsync(hostSocket)).Payload.Span));
        await Task.WhenAll(echo);

        Assert.Equal(sent.Select(p => Convert.ToHexString(p.Reverse().ToArray())).ToHashSet(), answers);
        // Every frame for a device behind a device was passed on while it arrived, and nothing was dropped anywhere.
        Assert.All(devices[..^1], d => Assert.True(d.Counters.FramesCutThrough > 0));
        Assert.All(devices, d => Assert.Equal(d.Counters.FramesForwarded, d.Counters.FramesCutThrough));
        foreach (DataLinkNode node in devices.Append(host))
        {
            Assert.Equal(0, node.Counters.Resynchronisations); // no frame arrived bad anywhere
            Assert.Equal(0, node.Counters.FramesPoisoned);
        }
        foreach (IPacketSocket socket in sockets)
            await socket.DisposeAsync();
        foreach (EmulatedLink link in links)
            await link.DisposeAsync();
    }
}

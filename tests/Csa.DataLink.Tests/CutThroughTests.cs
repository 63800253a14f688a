using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink.Internal;
using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;
using Microsoft.Extensions.Time.Testing;
using Csa.DataLink.Tests.Transports;

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
        Assert.All(devices, d => Assert.Equal((d.Counters.FramesForwarded, 0L), (d.Counters.FramesCutThrough, d.Counters.FramesPoisoned)));
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

    /// <summary>A device with an upstream and a downstream link whose far ends the test drives by hand.</summary>
    private sealed class Bridge : IAsyncDisposable
    {
        public required DataLinkNode Device { get; init; }
        public required ILinkTransport Upstream { get; init; }
        public required ILinkTransport Downstream { get; init; }
        public required NodeLink DeviceUpstream { get; init; }
        public required NodeLink DeviceDownstream { get; init; }

        public static Bridge Create(TestNetwork network, NodeAddress address, Func<DataLinkNodeOptions, DataLinkNodeOptions>? configure = null)
        {
            DataLinkNode device = network.Node(address, configure);
            (InMemoryTransport upFar, InMemoryTransport upNear) = InMemoryTransport.CreatePair("up");
            (InMemoryTransport downNear, InMemoryTransport downFar) = InMemoryTransport.CreatePair("down");
            NodeLink up = device.AddLink(upNear, LinkRole.Upstream);
            NodeLink down = device.AddLink(downNear, LinkRole.Downstream);
            return new Bridge { Device = device, Upstream = upFar, Downstream = downFar, DeviceUpstream = up, DeviceDownstream = down };
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Reads raw bytes from <paramref name="transport"/> until <paramref name="frames"/> non-empty runs have ended.</summary>
    private static async Task<byte[]> ReadRunsAsync(ILinkTransport transport, int frames)
    {
        var all = new List<byte>();
        int ended = 0;
        bool inRun = false;
        while (ended < frames)
        {
            ReadResult result = await transport.Input.ReadAsync(TestNetwork.Guard());
            SequencePosition consumed = result.Buffer.Start;
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                foreach (byte b in segment.Span)
                {
                    if (ended == frames)
                        break;
                    all.Add(b);
                    consumed = result.Buffer.GetPosition(1, consumed);
                    if (b != 0)
                        inRun = true;
                    else if (inRun)
                    {
                        inRun = false;
                        ended++;
                    }
                }
            }
            transport.Input.AdvanceTo(consumed);
            Assert.False(result.IsCompleted && ended < frames, "the link ended early");
        }
        return [.. all];
    }

    /// <summary>Waits until bytes are there to read from <paramref name="transport"/>, leaving them to be read.</summary>
    private static async Task BytesArriveAsync(ILinkTransport transport)
    {
        ReadResult result = await transport.Input.ReadAsync(TestNetwork.Guard());
        Assert.False(result.Buffer.IsEmpty);
        transport.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
    }

    private static byte[] WithoutLeadingDelimiters(byte[] bytes) => bytes.SkipWhile(b => b == 0).ToArray();

    [Theory]
    [InlineData(ForwardingMode.CutThrough)]
    [InlineData(ForwardingMode.StoreAndForward)]
    public async Task A_forwarded_frame_is_byte_identical_whichever_way_it_is_forwarded(ForwardingMode forwarding)
    {
        await using var network = new TestNetwork();
        Bridge bridge = Bridge.Create(network, new NodeAddress(0x01), o => o with { Forwarding = forwarding });
        byte[] payload = TestFrames.Payload(1000, seed: 3);
        payload[100] = 0;
        payload[400] = 0;
        FrameHeader header = TestFrames.Header(destination: 0x02, source: 0x00, packetId: 0x1234, hopLimit: 64);
        byte[] wire = TestFrames.Encode(header, payload);

        // Fed in pieces, as a UART delivers them.
        for (int at = 0; at < wire.Length; at += 17)
            await RawLink.WriteAsync(bridge.Upstream, wire[at..Math.Min(wire.Length, at + 17)]);
        byte[] forwarded = await ReadRunsAsync(bridge.Downstream, 1);

        Assert.Equal(TestFrames.Encode(header with { HopLimit = 63 }, payload), WithoutLeadingDelimiters(forwarded));
        Assert.Equal(1, bridge.DeviceDownstream.Counters.FramesForwarded);
        Assert.Equal(forwarding == ForwardingMode.CutThrough ? 1 : 0, bridge.DeviceDownstream.Counters.FramesCutThrough);
    }

    [Fact]
    public async Task A_frame_corrupted_upstream_is_poisoned_downstream_and_dropped_by_the_next_node()
    {
        await using var network = new TestNetwork();
        Bridge bridge = Bridge.Create(network, new NodeAddress(0x01), CutThrough);
        DataLinkNode next = network.Node(new NodeAddress(0x02));
        NodeLink nextLink = next.AddLink(bridge.Downstream, LinkRole.Upstream);
        await using IPacketSocket socket = next.OpenSocket(Port);

        byte[] corrupted = TestFrames.Encode(TestFrames.Header(destination: 0x02, packetId: 1), TestFrames.Payload(500, seed: 4));
        int at = Array.FindIndex(corrupted, 40, b => b is not 0 and not 1 and < 0xFE);
        corrupted[at] ^= 0x01; // a bit error the CRC catches, not the framing
        await RawLink.WriteAsync(bridge.Upstream, corrupted);
        byte[] good = TestFrames.Payload(300, seed: 5);
        await RawLink.WriteAsync(bridge.Upstream, TestFrames.Encode(TestFrames.Header(destination: 0x02, packetId: 2), good));

        InboundPacket received = await TestNetwork.ReceiveAsync(socket);
        Assert.Equal(good, received.Payload.ToArray()); // the intact frame after it, and only that one
        Assert.Equal(1, bridge.DeviceUpstream.Counters.CrcErrors);    // the forwarder's own check
        Assert.Equal(1, bridge.DeviceDownstream.Counters.FramesPoisoned);
        Assert.Equal(1, bridge.DeviceDownstream.Counters.FramesCutThrough);
        Assert.Equal(1, nextLink.Counters.CrcErrors);                  // the next node's
        Assert.Equal(1, nextLink.Counters.FramesReceived);
        Assert.False(socket.Inbound.TryRead(out _));
    }

    [Fact]
    public async Task A_stalled_upstream_aborts_the_frame_downstream_frees_the_link_and_the_frame_goes_on_whole_when_it_completes()
    {
        var time = new FakeTimeProvider();
        await using var network = new TestNetwork();
        Bridge bridge = Bridge.Create(network, new NodeAddress(0x01), o => CutThrough(o) with { TimeProvider = time });
        DataLinkNode next = network.Node(new NodeAddress(0x02), o => o with { TimeProvider = time });
        NodeLink nextLink = next.AddLink(bridge.Downstream, LinkRole.Upstream);
        await using IPacketSocket nextSocket = next.OpenSocket(Port);
        await using IPacketSocket deviceSocket = bridge.Device.OpenSocket(Port);

        byte[] payload = TestFrames.Payload(800, seed: 6);
        byte[] wire = TestFrames.Encode(TestFrames.Header(destination: 0x02, packetId: 7), payload);
        await RawLink.WriteAsync(bridge.Upstream, wire[..400]); // and then nothing: the upstream stalls mid-frame

        // The stall bound passes (fake time: the test decides when, in steps until the device waits with its bound
        // armed); the downstream frame is aborted.
        await Transports.TransportTestHelpers.WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            return bridge.DeviceDownstream.Counters.FramesPoisoned == 1;
        }, "the frame was aborted");
        await Transports.TransportTestHelpers.WaitUntilAsync(() => nextLink.Counters.GetDropped(FrameDropReason.Malformed) == 1, "the next node dropped it");

        // The link is free again: the device's own packet goes through while the upstream frame is still incomplete.
        await deviceSocket.SendAsync(new Endpoint(new NodeAddress(0x02), Port), new byte[] { 1, 2, 3 }, TestNetwork.Guard());
        Assert.Equal(new byte[] { 1, 2, 3 }, (await TestNetwork.ReceiveAsync(nextSocket)).Payload.ToArray());

        // The rest arrives: the frame is whole and intact, and is forwarded whole (store-and-forward as the fallback).
        await RawLink.WriteAsync(bridge.Upstream, wire[400..]);
        Assert.Equal(payload, (await TestNetwork.ReceiveAsync(nextSocket)).Payload.ToArray());
        Assert.Equal(0, bridge.DeviceUpstream.Counters.DroppedTotal);
        Assert.Equal(3, bridge.DeviceDownstream.Counters.FramesSent); // the aborted part, the device's packet, the frame whole
        Assert.Equal(0, bridge.DeviceDownstream.Counters.FramesCutThrough);
        Assert.Equal(1, bridge.DeviceDownstream.Counters.FramesForwarded);
    }

    [Fact]
    public async Task A_local_packet_that_wants_the_link_mid_cut_through_waits_and_is_sent_intact_after_the_frame()
    {
        var time = new FakeTimeProvider(); // the stall bound never passes here
        await using var network = new TestNetwork();
        Bridge bridge = Bridge.Create(network, new NodeAddress(0x01), o => CutThrough(o) with { TimeProvider = time });
        await using IPacketSocket deviceSocket = bridge.Device.OpenSocket(Port);
        byte[] payload = TestFrames.Payload(900, seed: 8);
        FrameHeader header = TestFrames.Header(destination: 0x02, packetId: 9, hopLimit: 20);
        byte[] wire = TestFrames.Encode(header, payload);
        await RawLink.WriteAsync(bridge.Upstream, wire[..300]);
        await BytesArriveAsync(bridge.Downstream); // the frame is being passed on

        // The device answers something now: its frame must not come between the bytes of the frame being passed on.
        Task send = deviceSocket.SendAsync(new Endpoint(new NodeAddress(0x02), Port), new byte[] { 0xAA, 0x00, 0xBB }, TestNetwork.Guard());
        await Task.Delay(20);
        Assert.False(send.IsCompleted);
        await RawLink.WriteAsync(bridge.Upstream, wire[300..]);
        await send;

        byte[] bytes = await ReadRunsAsync(bridge.Downstream, 2);
        var decoder = new DecoderHarness();
        decoder.Feed(bytes);
        Assert.Empty(decoder.Drops);
        Assert.Equal(2, decoder.Frames.Count);
        Assert.Equal(payload, decoder.Frames[0].Payload);
        Assert.Equal(19, decoder.Frames[0].HopLimit);
        Assert.Equal(new byte[] { 0xAA, 0x00, 0xBB }, decoder.Frames[1].Payload);
        Assert.Equal(new NodeAddress(0x01), decoder.Frames[1].Source.Node);
    }

    [Fact]
    public async Task Hop_limit_one_is_not_passed_on_and_the_unassigned_address_goes_only_downstream_and_only_past_assigned_nodes()
    {
        await using var network = new TestNetwork();
        Bridge bridge = Bridge.Create(network, new NodeAddress(0x01), CutThrough);

        await RawLink.WriteAsync(bridge.Upstream, TestFrames.Encode(TestFrames.Header(destination: 0x02, packetId: 1, hopLimit: 1), TestFrames.Payload(200, 1)));
        await RawLink.WriteAsync(bridge.Upstream, TestFrames.Encode(TestFrames.Header(destination: 0x02, packetId: 2, hopLimit: 2), TestFrames.Payload(200, 2)));
        ParsedFrame passed = await RawLink.ReadFrameAsync(bridge.Downstream);
        Assert.Equal(2, passed.PacketId); // the first never went out
        Assert.Equal(1, passed.HopLimit);
        Assert.Equal(1, bridge.DeviceUpstream.Counters.GetDropped(FrameDropReason.HopLimitExceeded));

        // 0xFE from upstream goes on downstream (this node has an address); from downstream it goes nowhere.
        await RawLink.WriteAsync(bridge.Upstream, TestFrames.Encode(TestFrames.Header(destination: 0xFE, destinationPort: 0, packetId: 3), [0x7F]));
        Assert.Equal(3, (await RawLink.ReadFrameAsync(bridge.Downstream)).PacketId);
        await RawLink.WriteAsync(bridge.Downstream, TestFrames.Encode(TestFrames.Header(destination: 0xFE, destinationPort: 0, source: 0x02, packetId: 4), [0x7F]));
        await Transports.TransportTestHelpers.WaitUntilAsync(() => bridge.DeviceDownstream.Counters.FramesReceived == 1, "the frame arrived");
        Assert.Equal(0, bridge.DeviceUpstream.Counters.FramesSent);
        Assert.Equal(2, bridge.DeviceDownstream.Counters.FramesCutThrough);

        // An unassigned node takes a frame for 0xFE itself and passes nothing on.
        Bridge fresh = Bridge.Create(network, NodeAddress.Unassigned, CutThrough);
        await RawLink.WriteAsync(fresh.Upstream, TestFrames.Encode(TestFrames.Header(destination: 0xFE, destinationPort: 0, packetId: 5), [0x7F]));
        await Transports.TransportTestHelpers.WaitUntilAsync(() => fresh.DeviceUpstream.Counters.FramesReceived == 1, "the frame arrived");
        await RawLink.WriteAsync(fresh.Upstream, TestFrames.Encode(TestFrames.Header(destination: 0x09, packetId: 6), [0x01]));
        Assert.Equal(6, (await RawLink.ReadFrameAsync(fresh.Downstream)).PacketId); // the next frame is the first one out
    }

    [Fact]
    public async Task Removing_the_outgoing_link_mid_cut_through_does_not_wait_for_the_stalled_frame()
    {
        var time = new FakeTimeProvider(); // the stall bound never passes: only the link's closing may end the frame
        await using var network = new TestNetwork();
        Bridge bridge = Bridge.Create(network, new NodeAddress(0x01), o => CutThrough(o) with { TimeProvider = time });
        byte[] wire = TestFrames.Encode(TestFrames.Header(destination: 0x02, packetId: 11), TestFrames.Payload(700, seed: 9));
        await RawLink.WriteAsync(bridge.Upstream, wire[..350]);
        await BytesArriveAsync(bridge.Downstream); // the frame is being passed on, the outgoing link held for it

        await bridge.Device.RemoveLinkAsync(bridge.DeviceDownstream).WaitAsync(TestNetwork.HangGuard);

        // The incoming link goes on: the rest of the frame arrives whole and has nowhere to go now.
        await RawLink.WriteAsync(bridge.Upstream, wire[350..]);
        await Transports.TransportTestHelpers.WaitUntilAsync(() => bridge.DeviceUpstream.Counters.FramesReceived == 1, "the frame arrived");
        Assert.True(bridge.DeviceUpstream.IsOpen);
        Assert.Equal(0, bridge.DeviceUpstream.Counters.Resynchronisations);
    }
}

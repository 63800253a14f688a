using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;
using Microsoft.Extensions.Time.Testing;

namespace Csa.DataLink.Tests;

/// <summary>Reassembly limits, with fragments injected by hand and time under test control.</summary>
[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-TOPO")]
public sealed class ReassemblyTests : IAsyncLifetime
{
    private const byte Port = WellKnownPorts.Rpc;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly FakeTimeProvider _time = new();
    private DataLinkNode _device = null!;
    private NodeLink _link = null!;
    private InMemoryTransport _hostEnd = null!;
    private IPacketSocket _socket = null!;

    public Task InitializeAsync()
    {
        _device = new DataLinkNode(new DataLinkNodeOptions
        {
            LocalAddress = new NodeAddress(0x01),
            TimeProvider = _time,
            ReassemblyTimeout = Timeout,
            MaxReassembliesPerSource = 2,
            MaxPacketSize = 200,
        });
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("reassembly");
        _hostEnd = hostEnd;
        _link = _device.AddLink(deviceEnd, LinkRole.Upstream);
        _socket = _device.OpenSocket(Port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _device.DisposeAsync();
        await _hostEnd.DisposeAsync();
    }

    [Fact]
    public async Task Missing_fragment_times_out_and_frees_the_buffer()
    {
        await SendFragmentAsync(packetId: 1, index: 0, last: false, [1, 2, 3]);
        await SyncAsync();
        Assert.Equal(1, _link.Reassembler.ActiveCount);

        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, _link.Reassembler.ActiveCount);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, _link.Reassembler.ActiveCount);
        Assert.Equal(1, _link.Counters.ReassemblyTimeouts);
        Assert.Equal(1, _device.Counters.ReassemblyTimeouts);

        // The straggler that finally arrives has nothing to join.
        await SendFragmentAsync(packetId: 1, index: 1, last: true, [4]);
        await SyncAsync();
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.OrphanFragment));
    }

    [Fact]
    public async Task Each_fragment_restarts_the_timeout()
    {
        await SendFragmentAsync(1, 0, false, [1]);
        await SyncAsync();
        _time.Advance(Timeout - TimeSpan.FromMilliseconds(100));
        await SendFragmentAsync(1, 1, false, [2]);
        await SyncAsync();
        _time.Advance(Timeout - TimeSpan.FromMilliseconds(100));
        await SendFragmentAsync(1, 2, true, [3]);
        InboundPacket packet = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new byte[] { 1, 2, 3 }, packet.Payload.ToArray());
        Assert.Equal(0, _link.Counters.ReassemblyTimeouts);
    }

    [Fact]
    public async Task Duplicate_fragment_is_dropped_and_the_packet_completes()
    {
        await SendFragmentAsync(7, 0, false, [1, 1]);
        await SendFragmentAsync(7, 0 + 1, false, [2, 2]);
        await SendFragmentAsync(7, 1, false, [9, 9]); // duplicate of index 1
        await SendFragmentAsync(7, 2, true, [3]);
        InboundPacket packet = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new byte[] { 1, 1, 2, 2, 3 }, packet.Payload.ToArray());
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.DuplicateFragment));
        Assert.Equal(0, _link.Reassembler.ActiveCount);
    }

    [Fact]
    public async Task Gap_discards_the_incomplete_packet_and_later_packets_still_arrive()
    {
        await SendFragmentAsync(3, 0, false, [1]);
        await SendFragmentAsync(3, 2, true, [3]); // index 1 was lost
        await SendFragmentAsync(4, 0, true, [0x44]);
        InboundPacket packet = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new byte[] { 0x44 }, packet.Payload.ToArray());
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.FragmentOutOfOrder));
        Assert.Equal(0, _link.Reassembler.ActiveCount);
    }

    [Fact]
    public async Task Index_zero_again_restarts_the_packet()
    {
        await SendFragmentAsync(9, 0, false, [1]);
        await SendFragmentAsync(9, 1, false, [2]);
        await SendFragmentAsync(9, 0, false, [7]); // the sender gave up and started packet 9 afresh
        await SendFragmentAsync(9, 1, true, [8]);
        InboundPacket packet = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new byte[] { 7, 8 }, packet.Payload.ToArray());
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.FragmentOutOfOrder));
    }

    [Fact]
    public async Task Too_many_packets_from_one_source_evict_the_oldest()
    {
        await SendFragmentAsync(10, 0, false, [1]);
        await SendFragmentAsync(11, 0, false, [2]);
        await SendFragmentAsync(12, 0, false, [3]); // the third concurrent one: packet 10 goes
        await SendFragmentAsync(10, 1, true, [1]);  // so this is an orphan
        await SendFragmentAsync(12, 1, true, [3]);
        InboundPacket packet = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new byte[] { 3, 3 }, packet.Payload.ToArray());
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.ReassemblyEvicted));
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.OrphanFragment));
        Assert.Equal(1, _link.Reassembler.ActiveCount); // packet 11 still waits
        _time.Advance(Timeout);
        Assert.Equal(0, _link.Reassembler.ActiveCount);
    }

    [Fact]
    public async Task Packet_growing_beyond_the_maximum_packet_size_is_dropped()
    {
        await SendFragmentAsync(5, 0, false, new byte[40]);
        for (byte i = 1; i < 5; i++)
            await SendFragmentAsync(5, i, i == 4, new byte[40]); // 200 bytes would fit, the fifth fragment makes 200 ...
        InboundPacket fits = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(200, fits.Payload.Length);

        for (byte i = 0; i < 7; i++)
            await SendFragmentAsync(6, i, i == 6, new byte[40]); // ... 240 does not
        await SendFragmentAsync(8, 0, true, [8]);
        InboundPacket next = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new byte[] { 8 }, next.Payload.ToArray());
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.PacketTooLarge));
        Assert.Equal(1, _link.Counters.GetDropped(FrameDropReason.OrphanFragment)); // the seventh fragment, after the drop
    }

    [Fact]
    public async Task Interleaved_packets_from_two_sources_are_kept_apart()
    {
        await SendFragmentAsync(1, 0, false, [0xA1], source: 0x02);
        await SendFragmentAsync(1, 0, false, [0xB1], source: 0x03);
        await SendFragmentAsync(1, 1, true, [0xB2], source: 0x03);
        await SendFragmentAsync(1, 1, true, [0xA2], source: 0x02);
        InboundPacket first = await TestNetwork.ReceiveAsync(_socket);
        InboundPacket second = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new NodeAddress(0x03), first.Source.Node);
        Assert.Equal(new byte[] { 0xB1, 0xB2 }, first.Payload.ToArray());
        Assert.Equal(new NodeAddress(0x02), second.Source.Node);
        Assert.Equal(new byte[] { 0xA1, 0xA2 }, second.Payload.ToArray());
    }

    private Task SendFragmentAsync(ushort packetId, byte index, bool last, byte[] payload, byte source = 0x00)
        => RawLink.WriteAsync(_hostEnd, TestFrames.Encode(
            TestFrames.Header(destination: 0x01, destinationPort: Port, source: source, sourcePort: 0x10, packetId: packetId, fragment: index, last: last), payload));

    /// <summary>
    /// Sends a one-frame marker packet from another source and reads it: the link processes frames in order, so
    /// everything sent before it has been handled when it arrives.
    /// </summary>
    private async Task SyncAsync()
    {
        await SendFragmentAsync(0xEEEE, 0, true, [0xEE], source: 0x7F);
        InboundPacket marker = await TestNetwork.ReceiveAsync(_socket);
        Assert.Equal(new NodeAddress(0x7F), marker.Source.Node);
    }
}

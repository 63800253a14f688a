using System.Diagnostics;
using System.Threading.Channels;

namespace Csa.Rpc.Tests.Support;

/// <summary>
/// A serial link model: <see cref="BitsPerSecond"/> with <see cref="BitsPerByte"/> bits per byte on the wire (8N1 = 10),
/// each packet split into frames of at most <see cref="MaxFramePayload"/> bytes that each cost
/// <see cref="FrameOverheadBytes"/> more, plus a fixed <see cref="Latency"/> per packet (USB-serial adapter, driver,
/// scheduling). The defaults are the data link's (docs/protocol.md sections 3 and 4): 16 bytes per frame of up to
/// 508 bytes (9-byte header, 4-byte CRC, at worst two COBS code bytes, the delimiter), and the payload of a 320-byte
/// frame; <c>FramingOverheadTests</c> measures the overhead on the real codecs.
/// </summary>
public sealed record LinkPacing(
    int BitsPerSecond = 115_200,
    int BitsPerByte = 10,
    int FrameOverheadBytes = 16,
    int MaxFramePayload = 320 - 13,
    TimeSpan Latency = default)
{
    /// <summary>Bytes one packet occupies on the wire.</summary>
    public int WireBytes(int packetBytes) =>
        packetBytes + (Math.Max(1, (packetBytes + MaxFramePayload - 1) / MaxFramePayload) * FrameOverheadBytes);

    /// <summary>How long one packet occupies the wire.</summary>
    public TimeSpan WireTime(int packetBytes) => TimeSpan.FromSeconds((double)WireBytes(packetBytes) * BitsPerByte / BitsPerSecond);

    /// <summary>Raw capacity of the link in bytes per second.</summary>
    public double BytesPerSecond => (double)BitsPerSecond / BitsPerByte;
}

/// <summary>
/// One direction of a paced link: packets are serialised on the wire one after the other and delivered, in order,
/// when their last byte (plus latency) has arrived. Real time (a stopwatch), because benchmarks measure real time.
/// </summary>
internal sealed class PacedWire
{
    private readonly LinkPacing _pacing;
    private readonly FakePacketNetwork _network;
    private readonly Channel<(SentPacket Packet, long DueTicks)> _queue = Channel.CreateUnbounded<(SentPacket, long)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _lock = new();
    private long _wireFreeAtTicks;

    public PacedWire(LinkPacing pacing, FakePacketNetwork network)
    {
        _pacing = pacing;
        _network = network;
        _ = Task.Run(PumpAsync);
    }

    public void Transmit(SentPacket packet, TimeSpan extraDelay)
    {
        long now = Stopwatch.GetTimestamp();
        long due;
        lock (_lock)
        {
            long start = Math.Max(now, _wireFreeAtTicks);
            long end = start + ToTicks(_pacing.WireTime(packet.Bytes.Length));
            _wireFreeAtTicks = end;
            due = end + ToTicks(_pacing.Latency + extraDelay);
            _queue.Writer.TryWrite((packet, due));
        }
    }

    private static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private async Task PumpAsync()
    {
        await foreach ((SentPacket packet, long due) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            long remaining = due - Stopwatch.GetTimestamp();
            if (remaining > 0)
                await Task.Delay(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency)).ConfigureAwait(false);
            _network.Deliver(packet);
        }
    }
}

using System.Globalization;
using System.Text;

namespace Csa.DataLink;

/// <summary>
/// Live counters of one link (<see cref="NodeLink.Counters"/>) or of a whole node (<see cref="DataLinkNode.Counters"/>,
/// the sum over its links plus what the node itself sends). Values only grow; read them at any time from any thread.
/// </summary>
public sealed class DataLinkCounters
{
    private static readonly FrameDropReason[] Reasons = Enum.GetValues<FrameDropReason>();

    private readonly DataLinkCounters? _total;
    private readonly long[] _dropped = new long[Reasons.Length];
    private long _framesReceived;
    private long _framesSent;
    private long _bytesReceived;
    private long _bytesSent;
    private long _framesForwarded;
    private long _framesCutThrough;
    private long _framesPoisoned;
    private long _packetsReceived;
    private long _packetsSent;
    private long _resynchronisations;

    internal DataLinkCounters(DataLinkCounters? total = null) => _total = total;

    /// <summary>Intact frames decoded from the link (for this node or to forward).</summary>
    public long FramesReceived => Volatile.Read(ref _framesReceived);

    /// <summary>Frames written to the link (originated or forwarded).</summary>
    public long FramesSent => Volatile.Read(ref _framesSent);

    /// <summary>Raw bytes read from the link, delimiters, noise and discarded bytes included.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Raw bytes written to the link (COBS-encoded frames and delimiters).</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Frames passed on to another link because they were not (only) for this node.</summary>
    public long FramesForwarded => Volatile.Read(ref _framesForwarded);

    /// <summary>
    /// Of <see cref="FramesForwarded"/>, those passed on to this link while they arrived (cut-through,
    /// <see cref="ForwardingMode.CutThrough"/>), counted on the outgoing link.
    /// </summary>
    public long FramesCutThrough => Volatile.Read(ref _framesCutThrough);

    /// <summary>
    /// Frames this node began to pass on to this link while they arrived and then ended invalid on purpose, so the next
    /// node drops them: a bad CRC on arrival (sent with the CRC inverted), an upstream that stalled mid-frame, a frame
    /// longer than this node accepts or malformed (cut short with an invalid COBS block). docs/protocol.md section 6.3.1.
    /// </summary>
    public long FramesPoisoned => Volatile.Read(ref _framesPoisoned);

    /// <summary>
    /// Whole packets that arrived for this node (reassembled) on a bound port or link management; those then
    /// dropped because the socket's queue was full are also counted as <see cref="FrameDropReason.SocketQueueFull"/>.
    /// </summary>
    public long PacketsReceived => Volatile.Read(ref _packetsReceived);

    /// <summary>Packets this node originated (counted once per link they were sent on).</summary>
    public long PacketsSent => Volatile.Read(ref _packetsSent);

    /// <summary>
    /// How often the frame decoder threw bytes away to find the start of the next frame (a CRC error, malformed,
    /// oversize or truncated frame each count once).
    /// </summary>
    public long Resynchronisations => Volatile.Read(ref _resynchronisations);

    /// <summary>Frames dropped for a bad CRC-32; the same as <c>GetDropped(FrameDropReason.CrcMismatch)</c>.</summary>
    public long CrcErrors => GetDropped(FrameDropReason.CrcMismatch);

    /// <summary>Overlong runs discarded; the same as <c>GetDropped(FrameDropReason.Oversize)</c>.</summary>
    public long OversizeFrames => GetDropped(FrameDropReason.Oversize);

    /// <summary>Incomplete packets freed by the timeout; the same as <c>GetDropped(FrameDropReason.ReassemblyTimeout)</c>.</summary>
    public long ReassemblyTimeouts => GetDropped(FrameDropReason.ReassemblyTimeout);

    /// <summary>Everything dropped, whatever the reason.</summary>
    public long DroppedTotal
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _dropped.Length; i++)
                sum += Volatile.Read(ref _dropped[i]);
            return sum;
        }
    }

    /// <summary>How many frames or packets were dropped for <paramref name="reason"/>.</summary>
    public long GetDropped(FrameDropReason reason)
    {
        int index = (int)reason;
        if ((uint)index >= (uint)_dropped.Length)
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown drop reason.");
        return Volatile.Read(ref _dropped[index]);
    }

    /// <summary>A one-line summary for logs, listing only the drop reasons that occurred.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"frames in {FramesReceived}, out {FramesSent}, forwarded {FramesForwarded} (cut-through {FramesCutThrough}, poisoned {FramesPoisoned}); bytes in {BytesReceived}, out {BytesSent}; packets in {PacketsReceived}, out {PacketsSent}; resyncs {Resynchronisations}");
        foreach (FrameDropReason reason in Reasons)
        {
            long count = GetDropped(reason);
            if (count != 0)
                text.Append(CultureInfo.InvariantCulture, $"; {reason} {count}");
        }
        return text.ToString();
    }

    internal void AddFrameReceived()
    {
        Interlocked.Increment(ref _framesReceived);
        _total?.AddFrameReceived();
    }

    internal void AddFrameSent(int bytes)
    {
        Interlocked.Increment(ref _framesSent);
        Interlocked.Add(ref _bytesSent, bytes);
        _total?.AddFrameSent(bytes);
    }

    internal void AddBytesReceived(long bytes)
    {
        if (bytes == 0)
            return;
        Interlocked.Add(ref _bytesReceived, bytes);
        _total?.AddBytesReceived(bytes);
    }

    internal void AddForwarded()
    {
        Interlocked.Increment(ref _framesForwarded);
        _total?.AddForwarded();
    }

    internal void AddCutThrough()
    {
        Interlocked.Increment(ref _framesCutThrough);
        Interlocked.Increment(ref _framesForwarded);
        _total?.AddCutThrough();
    }

    internal void AddPoisoned()
    {
        Interlocked.Increment(ref _framesPoisoned);
        _total?.AddPoisoned();
    }

    internal void AddPacketReceived()
    {
        Interlocked.Increment(ref _packetsReceived);
        _total?.AddPacketReceived();
    }

    internal void AddPacketSent()
    {
        Interlocked.Increment(ref _packetsSent);
        _total?.AddPacketSent();
    }

    internal void AddResynchronisation()
    {
        Interlocked.Increment(ref _resynchronisations);
        _total?.AddResynchronisation();
    }

    internal void AddDropped(FrameDropReason reason)
    {
        Interlocked.Increment(ref _dropped[(int)reason]);
        _total?.AddDropped(reason);
    }
}

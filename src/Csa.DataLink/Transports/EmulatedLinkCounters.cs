namespace Csa.DataLink.Transports;

/// <summary>What one direction of an <see cref="EmulatedLink"/> has done so far. Live values, safe to read at any time.</summary>
public sealed class EmulatedLinkCounters
{
    private long _bytesTransmitted;
    private long _bytesDelivered;
    private long _framesTransmitted;
    private long _framesDropped;
    private long _framesDuplicated;
    private long _framesReordered;
    private long _bitsFlipped;
    private long _bytesLostOnCutLine;

    /// <summary>Bytes that went onto the line (each took 10 bit times), dropped ones included.</summary>
    public long BytesTransmitted => Volatile.Read(ref _bytesTransmitted);

    /// <summary>Bytes handed to the receiving end, duplicates included.</summary>
    public long BytesDelivered => Volatile.Read(ref _bytesDelivered);

    /// <summary>Non-empty frames (0x00-terminated chunks) that completed on the line.</summary>
    public long FramesTransmitted => Volatile.Read(ref _framesTransmitted);

    /// <summary>Frames dropped whole.</summary>
    public long FramesDropped => Volatile.Read(ref _framesDropped);

    /// <summary>Frames delivered a second time.</summary>
    public long FramesDuplicated => Volatile.Read(ref _framesDuplicated);

    /// <summary>Frames held back and delivered after the next frame.</summary>
    public long FramesReordered => Volatile.Read(ref _framesReordered);

    /// <summary>Data bits inverted on the line (in delivered bytes).</summary>
    public long BitsFlipped => Volatile.Read(ref _bitsFlipped);

    /// <summary>Bytes lost because the line was cut (<see cref="EmulatedLink.CutLine"/>): those on the line at
    /// the cut and those sent while it was cut.</summary>
    public long BytesLostOnCutLine => Volatile.Read(ref _bytesLostOnCutLine);

    /// <inheritdoc />
    public override string ToString()
        => $"tx {BytesTransmitted} B / {FramesTransmitted} frames, rx {BytesDelivered} B, dropped {FramesDropped}, duplicated {FramesDuplicated}, reordered {FramesReordered}, bits flipped {BitsFlipped}, lost on cut line {BytesLostOnCutLine}";

    internal void AddTransmitted(long bytes) => Interlocked.Add(ref _bytesTransmitted, bytes);

    internal void AddDelivered(long bytes) => Interlocked.Add(ref _bytesDelivered, bytes);

    internal void FrameTransmitted() => Interlocked.Increment(ref _framesTransmitted);

    internal void FrameDropped() => Interlocked.Increment(ref _framesDropped);

    internal void FrameDuplicated() => Interlocked.Increment(ref _framesDuplicated);

    internal void FrameReordered() => Interlocked.Increment(ref _framesReordered);

    internal void AddBitsFlipped(int bits) => Interlocked.Add(ref _bitsFlipped, bits);

    internal void AddLostOnCutLine(long bytes) => Interlocked.Add(ref _bytesLostOnCutLine, bytes);
}

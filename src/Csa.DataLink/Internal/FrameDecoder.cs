using System.Buffers;

namespace Csa.DataLink.Internal;

/// <summary>What one call of <see cref="FrameDecoder.TryParse"/> produced.</summary>
internal enum FrameParseStatus
{
    /// <summary>No complete frame in the input; everything left in it must be kept for the next call.</summary>
    NeedMoreData,

    /// <summary>An intact frame was consumed from the input.</summary>
    Frame,

    /// <summary>Bytes were consumed and thrown away for the reported reason.</summary>
    Dropped,
}

/// <summary>A validated frame whose payload lives in the decoder's buffer until the next parse.</summary>
internal readonly record struct DecodedFrame(FrameHeader Header, ReadOnlyMemory<byte> Payload);

/// <summary>
/// Splits a byte stream into frames. Pure and synchronous: the caller passes what it has read, the decoder
/// slices off what it consumed. Memory is bounded by the maximum frame size: an overlong run without a delimiter
/// is discarded as it arrives and the decoder remembers only that it is skipping to the next delimiter.
/// One instance per link; not thread-safe.
/// </summary>
internal sealed class FrameDecoder
{
    private readonly byte[] _frame;
    private readonly byte[] _encoded;
    private bool _discarding;

    public FrameDecoder(int maxFrameSize)
    {
        if (maxFrameSize is < DataLinkProtocol.MinimumMaxFrameSize or > DataLinkProtocol.MaximumMaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize,
                $"The maximum frame size must be between {DataLinkProtocol.MinimumMaxFrameSize} and {DataLinkProtocol.MaximumMaxFrameSize} bytes.");
        MaxFrameSize = maxFrameSize;
        MaxEncodedLength = Cobs.MaxEncodedLength(maxFrameSize);
        _frame = new byte[maxFrameSize];
        _encoded = new byte[MaxEncodedLength];
    }

    /// <summary>The largest decoded frame accepted (header + payload + CRC).</summary>
    public int MaxFrameSize { get; }

    /// <summary>The longest COBS run (without delimiter) that can hold a frame of <see cref="MaxFrameSize"/>.</summary>
    public int MaxEncodedLength { get; }

    /// <summary>True while an overlong run is being skipped up to its delimiter.</summary>
    public bool IsDiscarding => _discarding;

    /// <summary>
    /// Consumes from <paramref name="input"/> up to and including the next frame or the next thing to drop.
    /// A returned frame's payload is valid until the next call.
    /// </summary>
    public FrameParseStatus TryParse(ref ReadOnlySequence<byte> input, out DecodedFrame frame, out FrameDropReason reason)
    {
        frame = default;
        reason = default;
        while (!input.IsEmpty)
        {
            ReadOnlySpan<byte> stuffed;
            if (input.IsSingleSegment)
            {
                // Fast path: one span, one search, one slice.
                ReadOnlySpan<byte> span = input.FirstSpan;
                int end = span.IndexOf(DataLinkProtocol.Delimiter);
                if (end < 0)
                    return NoDelimiter(ref input, out reason);
                stuffed = span[..end];
                input = input.Slice(end + 1);
            }
            else
            {
                SequencePosition? delimiter = input.PositionOf(DataLinkProtocol.Delimiter);
                if (delimiter is null)
                    return NoDelimiter(ref input, out reason);
                ReadOnlySequence<byte> encoded = input.Slice(0, delimiter.Value);
                input = input.Slice(input.GetPosition(1, delimiter.Value));
                if (encoded.Length > MaxEncodedLength)
                {
                    stuffed = default;
                    if (!_discarding)
                    {
                        reason = FrameDropReason.Oversize;
                        return FrameParseStatus.Dropped;
                    }
                }
                else if (encoded.IsSingleSegment)
                {
                    stuffed = encoded.FirstSpan;
                }
                else
                {
                    encoded.CopyTo(_encoded);
                    stuffed = _encoded.AsSpan(0, (int)encoded.Length);
                }
            }

            if (_discarding)
            {
                _discarding = false; // the overlong run ends here; it was counted when discarding began
                continue;
            }
            if (stuffed.IsEmpty)
                continue; // back-to-back delimiters: idle fill or a sender's resynchronisation byte
            if (stuffed.Length > MaxEncodedLength)
            {
                reason = FrameDropReason.Oversize;
                return FrameParseStatus.Dropped;
            }

            switch (Cobs.Decode(stuffed, _frame, out int length))
            {
                case CobsStatus.Overflow:
                    reason = FrameDropReason.Oversize;
                    return FrameParseStatus.Dropped;
                case CobsStatus.Invalid:
                    reason = FrameDropReason.Malformed;
                    return FrameParseStatus.Dropped;
            }

            if (!FrameCodec.TryReadFrame(_frame.AsSpan(0, length), out FrameHeader header, out reason))
                return FrameParseStatus.Dropped;

            frame = new DecodedFrame(header, new ReadOnlyMemory<byte>(_frame, DataLinkProtocol.HeaderSize, length - DataLinkProtocol.FrameOverhead));
            return FrameParseStatus.Frame;
        }
        return FrameParseStatus.NeedMoreData;
    }

    /// <summary>
    /// No delimiter in the input: keep it for the next read, unless it is already too long to be a frame, in which
    /// case it is dropped now instead of being buffered until a delimiter shows up.
    /// </summary>
    private FrameParseStatus NoDelimiter(ref ReadOnlySequence<byte> input, out FrameDropReason reason)
    {
        reason = default;
        if (_discarding)
        {
            input = input.Slice(input.End);
            return FrameParseStatus.NeedMoreData;
        }
        if (input.Length > MaxEncodedLength)
        {
            _discarding = true;
            input = input.Slice(input.End);
            reason = FrameDropReason.Oversize;
            return FrameParseStatus.Dropped;
        }
        return FrameParseStatus.NeedMoreData;
    }

    /// <summary>Forgets a skip in progress, e.g. when a link restarts.</summary>
    public void Reset() => _discarding = false;
}

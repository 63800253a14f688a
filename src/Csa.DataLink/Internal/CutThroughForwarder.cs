using System.Buffers;
using System.Buffers.Binary;

namespace Csa.DataLink.Internal;

/// <summary>What one call of <see cref="CutThroughForwarder.Feed"/> stopped at.</summary>
internal enum CutThroughStep
{
    /// <summary>Every byte given was taken; the frame goes on in the next input.</summary>
    NeedMoreData,

    /// <summary>The 9-byte header has been decoded: the caller calls <see cref="CutThroughForwarder.Accept"/> or <see cref="CutThroughForwarder.Decline"/>.</summary>
    HeaderReady,

    /// <summary>The run's delimiter was taken; <see cref="CutThroughForwarder.Outcome"/> says what became of the frame.</summary>
    FrameEnded,
}

/// <summary>What a cut-through forwarder did with one run of bytes (one frame on the wire).</summary>
internal enum CutThroughOutcome
{
    /// <summary>Not passed on while it arrived (not for another link, declined, or ended before its header).</summary>
    NotForwarded,

    /// <summary>Passed on with <c>hop_limit − 1</c> and a new CRC: exactly what store-and-forward sends.</summary>
    Forwarded,

    /// <summary>Passed on, but its CRC was bad on arrival: sent with the new CRC inverted, so the next node drops it.</summary>
    Poisoned,

    /// <summary>Passed on in part, then ended with an invalid COBS block and a delimiter (stalled, oversize, malformed, too short).</summary>
    Aborted,
}

/// <summary>
/// Passes a frame on while it arrives (docs/protocol.md section 6.3.1). Pure and synchronous, one instance per
/// incoming link: the caller feeds it the encoded bytes of the current run as they come in and gives it the outgoing
/// link's writer once it has decided, from the header, that the frame goes there.
/// <para>
/// It decodes COBS incrementally, keeps the last four decoded bytes back (they may be the CRC; only the delimiter
/// tells), and re-encodes everything before them with <c>hop_limit − 1</c>. A COBS block can only be written once it
/// is closed (its code byte comes first), so the output trails the input by at most one block (254 bytes). At the
/// delimiter it checks the incoming CRC and appends the new one, or the new one inverted when the incoming one was
/// bad. Since <c>hop_limit</c> stays non-zero (a frame with 1 is never forwarded), zero bytes stay where they were
/// and the output is byte for byte what <see cref="FrameCodec.Encode"/> makes of the forwarded frame.
/// </para>
/// </summary>
internal sealed class CutThroughForwarder
{
    private const int CrcSize = DataLinkProtocol.CrcSize;
    private const int HeaderSize = DataLinkProtocol.HeaderSize;
    private const int MaxBlock = 254;

    /// <summary>A code byte that promises one byte, then the delimiter: invalid COBS for every receiver (section 3.1).</summary>
    private static ReadOnlySpan<byte> AbortSequence => [0x02, DataLinkProtocol.Delimiter];

    private readonly int _maxFrameSize;
    private readonly byte[] _header = new byte[HeaderSize];
    private readonly byte[] _tail = new byte[CrcSize];
    private readonly byte[] _block = new byte[MaxBlock + 1];

    private Mode _mode = Mode.Idle;
    // COBS decoding of the incoming run.
    private int _blockRemaining;
    private int _previousCode;
    private int _decodedLength;
    // The last decoded bytes, held back until it is known that they are not the CRC.
    private int _tailCount;
    private int _released;
    private uint _incomingCrc;
    private uint _outgoingCrc;
    // COBS encoding of the outgoing frame: the open block's bytes follow its code slot at _block[0].
    private int _blockLength;
    private bool _justClosedFullBlock;
    private long _written;

    public CutThroughForwarder(int maxFrameSize)
    {
        if (maxFrameSize is < DataLinkProtocol.MinimumMaxFrameSize or > DataLinkProtocol.MaximumMaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(maxFrameSize), maxFrameSize,
                $"The maximum frame size must be between {DataLinkProtocol.MinimumMaxFrameSize} and {DataLinkProtocol.MaximumMaxFrameSize} bytes.");
        _maxFrameSize = maxFrameSize;
    }

    private enum Mode
    {
        /// <summary>Between runs: the next byte starts one.</summary>
        Idle,

        /// <summary>Decoding the header; nothing decided yet.</summary>
        Header,

        /// <summary>Passing the frame on.</summary>
        Forwarding,

        /// <summary>Not passing this run on (declined, aborted): waiting for its delimiter.</summary>
        Skipping,
    }

    /// <summary>True between <see cref="Accept"/> and the end of the frame (or its abort): the outgoing link is held.</summary>
    public bool IsForwarding => _mode == Mode.Forwarding;

    /// <summary>What became of the frame whose delimiter (or abort) came last.</summary>
    public CutThroughOutcome Outcome { get; private set; }

    /// <summary>Why a frame ended <see cref="CutThroughOutcome.Aborted"/> or <see cref="CutThroughOutcome.Poisoned"/>.</summary>
    public FrameDropReason AbortReason { get; private set; }

    /// <summary>Bytes written to the outgoing link for the current (or last) frame, its delimiter included.</summary>
    public long BytesWritten => _written;

    /// <summary>The decoded header, valid from <see cref="CutThroughStep.HeaderReady"/> to the end of the run.</summary>
    public ReadOnlySpan<byte> RawHeader => _header;

    /// <summary>
    /// Reads the header with the checks of protocol.md section 5 that the header alone allows (version, reserved bits,
    /// source address); false if the frame will be dropped whatever its CRC, so it is not worth passing on.
    /// </summary>
    public bool TryGetHeader(out FrameHeader header)
    {
        header = default;
        byte flags = _header[0];
        if (flags >> 4 != DataLinkProtocol.Version || (flags & FrameHeader.ReservedFlagsMask) != 0 || _header[4] == NodeAddress.Broadcast.Value)
            return false;
        header = FrameHeader.Read(_header);
        return true;
    }

    /// <summary>
    /// Takes bytes of the current run from <paramref name="input"/> until it ends, its header is complete, or the input
    /// is used up. <paramref name="output"/> is the outgoing link's writer while forwarding (null otherwise).
    /// </summary>
    public CutThroughStep Feed(ReadOnlySpan<byte> input, IBufferWriter<byte>? output, out int consumed)
    {
        consumed = 0;
        if (_mode == Mode.Header && _decodedLength == HeaderSize)
            throw new InvalidOperationException("The header is ready: accept or decline the frame before feeding more.");
        while (consumed < input.Length)
        {
            byte value = input[consumed++];
            if (value == DataLinkProtocol.Delimiter)
            {
                EndRun(output);
                return CutThroughStep.FrameEnded;
            }
            if (_mode == Mode.Idle)
                StartRun();
            if (_mode == Mode.Skipping)
                continue;
            if (TakeEncoded(value, output) && _mode == Mode.Header && _decodedLength == HeaderSize)
                return CutThroughStep.HeaderReady;
        }
        return CutThroughStep.NeedMoreData;
    }

    /// <summary>Passes the frame whose header is ready on to <paramref name="output"/> (the outgoing link, held by the caller).</summary>
    public void Accept(IBufferWriter<byte> output)
    {
        if (_mode != Mode.Header || _decodedLength != HeaderSize)
            throw new InvalidOperationException("A frame can only be accepted when its header is ready.");
        _mode = Mode.Forwarding;
        _written = 0;
        foreach (byte value in _header)
            Hold(value, output);
    }

    /// <summary>Lets the frame whose header is ready go by without passing it on.</summary>
    public void Decline()
    {
        if (_mode != Mode.Header)
            throw new InvalidOperationException("Only a frame whose header is ready can be declined.");
        _mode = Mode.Skipping;
    }

    /// <summary>
    /// Ends the frame being passed on now (its upstream stalled, or the outgoing link must be let go): writes an invalid
    /// block and a delimiter so the next node drops what it got, and skips the rest of the run.
    /// </summary>
    public void Abort(IBufferWriter<byte> output, FrameDropReason reason)
    {
        if (_mode != Mode.Forwarding)
            return;
        WriteAbort(output, reason);
        _mode = Mode.Skipping;
    }

    /// <summary>
    /// Stops passing the frame on without writing anything more (the outgoing link failed or closed under it); the rest
    /// of the run is skipped.
    /// </summary>
    public void Abandon()
    {
        if (_mode != Mode.Forwarding)
            return;
        _mode = Mode.Skipping;
        Outcome = CutThroughOutcome.Aborted;
        AbortReason = FrameDropReason.NoRoute;
    }

    /// <summary>Forgets the run in progress (the link restarted); a frame being passed on must be aborted first.</summary>
    public void Reset()
    {
        _mode = Mode.Idle;
        Outcome = CutThroughOutcome.NotForwarded;
    }

    private void StartRun()
    {
        _mode = Mode.Header;
        _blockRemaining = 0;
        _previousCode = 0;
        _decodedLength = 0;
        _tailCount = 0;
        _released = 0;
        _incomingCrc = Crc32Mpeg2.Initial;
        _outgoingCrc = Crc32Mpeg2.Initial;
        _blockLength = 0;
        _justClosedFullBlock = false;
        _written = 0;
        Outcome = CutThroughOutcome.NotForwarded;
        AbortReason = default;
    }

    /// <summary>One encoded byte of the run; true if it completed a decoded byte (the last one taken was data, not only a code).</summary>
    private bool TakeEncoded(byte value, IBufferWriter<byte>? output)
    {
        if (_blockRemaining == 0)
        {
            // A code byte. The block before it implied a zero unless it was a full one: now it is known that input follows.
            bool impliedZero = _previousCode is not 0 and not 0xFF;
            _previousCode = value;
            _blockRemaining = value - 1;
            return impliedZero && Decoded(0, output);
        }
        _blockRemaining--;
        return Decoded(value, output);
    }

    /// <summary>One decoded byte; false once the frame stopped being passed on.</summary>
    private bool Decoded(byte value, IBufferWriter<byte>? output)
    {
        _decodedLength++;
        if (_mode == Mode.Header)
        {
            _header[_decodedLength - 1] = value;
            return true;
        }
        if (_decodedLength > _maxFrameSize)
        {
            // Longer than any frame this node accepts: store-and-forward would drop it (Oversize), so must this.
            WriteAbort(output!, FrameDropReason.Oversize);
            _mode = Mode.Skipping;
            return false;
        }
        Hold(value, output!);
        return true;
    }

    /// <summary>Puts a decoded byte at the end of the held-back tail; the byte that falls out of it is part of the frame before its CRC.</summary>
    private void Hold(byte value, IBufferWriter<byte> output)
    {
        if (_tailCount < CrcSize)
        {
            _tail[_tailCount++] = value;
            return;
        }
        byte released = _tail[0];
        _tail.AsSpan(1).CopyTo(_tail);
        _tail[CrcSize - 1] = value;
        Release(released, output);
    }

    private void Release(byte original, IBufferWriter<byte> output)
    {
        _incomingCrc = Crc32Mpeg2.Append(_incomingCrc, [original]);
        // Only the hop limit changes; it stays non-zero (frames with 1 are not forwarded), so no zero moves.
        byte outgoing = _released == 1 ? (byte)(original - 1) : original;
        _released++;
        _outgoingCrc = Crc32Mpeg2.Append(_outgoingCrc, [outgoing]);
        Encode(outgoing, output);
    }

    private void EndRun(IBufferWriter<byte>? output)
    {
        Mode mode = _mode;
        _mode = Mode.Idle;
        if (mode != Mode.Forwarding)
        {
            if (mode is Mode.Header or Mode.Idle)
                Outcome = CutThroughOutcome.NotForwarded;
            return; // Skipping keeps the outcome it was given (NotForwarded or Aborted)
        }
        if (_blockRemaining != 0)
        {
            WriteAbort(output!, FrameDropReason.Malformed); // the last block promised more bytes than came
            return;
        }
        if (_decodedLength < DataLinkProtocol.FrameOverhead)
        {
            WriteAbort(output!, FrameDropReason.Malformed);
            return;
        }
        uint received = BinaryPrimitives.ReadUInt32LittleEndian(_tail);
        bool intact = received == _incomingCrc;
        Span<byte> crc = stackalloc byte[CrcSize];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, intact ? _outgoingCrc : ~_outgoingCrc);
        foreach (byte value in crc)
            Encode(value, output!);
        FinishEncoding(output!);
        Outcome = intact ? CutThroughOutcome.Forwarded : CutThroughOutcome.Poisoned;
        AbortReason = intact ? default : FrameDropReason.CrcMismatch;
    }

    private void WriteAbort(IBufferWriter<byte> output, FrameDropReason reason)
    {
        output.Write(AbortSequence);
        _written += AbortSequence.Length;
        Outcome = CutThroughOutcome.Aborted;
        AbortReason = reason;
    }

    // --- Streaming COBS encoder (canonical form, section 3.1) -------------------------------------------------

    private void Encode(byte value, IBufferWriter<byte> output)
    {
        _justClosedFullBlock = false;
        if (value == 0)
        {
            WriteBlock(output);
            return;
        }
        _block[++_blockLength] = value;
        if (_blockLength == MaxBlock)
        {
            WriteBlock(output);
            _justClosedFullBlock = true; // a full block implies no zero; if the data ends here nothing more is written
        }
    }

    private void WriteBlock(IBufferWriter<byte> output)
    {
        _block[0] = (byte)(_blockLength + 1);
        output.Write(_block.AsSpan(0, _blockLength + 1));
        _written += _blockLength + 1;
        _blockLength = 0;
    }

    private void FinishEncoding(IBufferWriter<byte> output)
    {
        if (!_justClosedFullBlock)
            WriteBlock(output);
        output.Write([DataLinkProtocol.Delimiter]);
        _written++;
    }
}

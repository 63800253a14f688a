namespace Csa.DataLink;

/// <summary>
/// The fixed numbers of the data link wire format (docs/protocol.md). Firmware written in C uses the same values.
/// </summary>
public static class DataLinkProtocol
{
    /// <summary>The protocol version this implementation speaks; carried in the high nibble of every frame's first byte.</summary>
    public const byte Version = 1;

    /// <summary>Bytes of frame header before the payload: flags, hop limit, destination, source, packet id, fragment index.</summary>
    public const int HeaderSize = 9;

    /// <summary>Bytes of CRC-32/MPEG-2 after the payload.</summary>
    public const int CrcSize = 4;

    /// <summary>Header plus CRC: the part of every frame that is not payload.</summary>
    public const int FrameOverhead = HeaderSize + CrcSize;

    /// <summary>
    /// The smallest maximum frame size a node may advertise, and the frame size used towards a node whose
    /// capabilities are not known yet. Every node must accept frames of this size.
    /// </summary>
    public const int MinimumMaxFrameSize = 64;

    /// <summary>The largest maximum frame size the 16-bit capabilities field can express.</summary>
    public const int MaximumMaxFrameSize = 65535;

    /// <summary>The fragment index is one byte, so a packet has at most this many frames.</summary>
    public const int MaxFragmentsPerPacket = 256;

    /// <summary>The frame delimiter. COBS removes every zero byte from the frame, so this value marks frame boundaries.</summary>
    public const byte Delimiter = 0x00;

    /// <summary>The hop limit a node puts in frames it originates unless configured otherwise.</summary>
    public const byte DefaultHopLimit = 64;

    /// <summary>
    /// How many bytes of a packet one frame of <paramref name="frameSize"/> bytes carries: the frame less its header and
    /// CRC (<see cref="FrameOverhead"/>). A packet that fits this goes in one frame; a longer one is split into
    /// fragments of this size (docs/protocol.md section 6.1).
    /// </summary>
    /// <param name="frameSize">The largest frame on the path (a node's limit, or the smallest one along a chain).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="frameSize"/> is outside <see cref="MinimumMaxFrameSize"/>..<see cref="MaximumMaxFrameSize"/>.</exception>
    public static int PayloadPerFrame(int frameSize)
    {
        if (frameSize is < MinimumMaxFrameSize or > MaximumMaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(frameSize), frameSize, $"A frame size is {MinimumMaxFrameSize}..{MaximumMaxFrameSize} bytes.");
        return frameSize - FrameOverhead;
    }
}

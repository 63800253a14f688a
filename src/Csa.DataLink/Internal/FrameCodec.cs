using System.Buffers;
using System.Buffers.Binary;

namespace Csa.DataLink.Internal;

/// <summary>
/// Pure, synchronous encoding and validation of single frames. The wire form of a frame is
/// <c>COBS(header | payload | CRC-32/MPEG-2 little-endian) 0x00</c>; the CRC covers header and payload.
/// </summary>
internal static class FrameCodec
{
    /// <summary>Bytes <see cref="Write"/> may need for a payload of <paramref name="payloadLength"/> bytes (trailing delimiter included).</summary>
    public static int GetMaxEncodedSize(int payloadLength)
        => Cobs.MaxEncodedLength(DataLinkProtocol.FrameOverhead + payloadLength) + 1;

    /// <summary>Encodes one frame with its trailing delimiter into <paramref name="output"/>; returns the bytes written.</summary>
    public static int Write(IBufferWriter<byte> output, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        Span<byte> destination = output.GetSpan(GetMaxEncodedSize(payload.Length));
        int written = Encode(header, payload, destination);
        output.Advance(written);
        return written;
    }

    /// <summary>Encodes one frame with its trailing delimiter into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Encode(in FrameHeader header, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        Span<byte> head = stackalloc byte[DataLinkProtocol.HeaderSize];
        header.WriteTo(head);
        uint crc = Crc32Mpeg2.Append(Crc32Mpeg2.Append(Crc32Mpeg2.Initial, head), payload);
        Span<byte> trailer = stackalloc byte[DataLinkProtocol.CrcSize];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, crc);

        var encoder = new Cobs.Encoder(destination);
        encoder.Write(head);
        encoder.Write(payload);
        encoder.Write(trailer);
        int length = encoder.Finish();
        destination[length] = DataLinkProtocol.Delimiter;
        return length + 1;
    }

    /// <summary>
    /// Checks a decoded (un-stuffed) frame: length, CRC, version, reserved bits, source address. On success
    /// <paramref name="header"/> holds the header and the payload is <c>frame[HeaderSize..^CrcSize]</c>.
    /// </summary>
    public static bool TryReadFrame(ReadOnlySpan<byte> frame, out FrameHeader header, out FrameDropReason reason)
    {
        header = default;
        if (frame.Length < DataLinkProtocol.FrameOverhead)
        {
            reason = FrameDropReason.Malformed;
            return false;
        }
        int covered = frame.Length - DataLinkProtocol.CrcSize;
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(frame[covered..]);
        if (Crc32Mpeg2.Compute(frame[..covered]) != expected)
        {
            reason = FrameDropReason.CrcMismatch;
            return false;
        }
        byte flags = frame[0];
        if (flags >> 4 != DataLinkProtocol.Version)
        {
            reason = FrameDropReason.UnsupportedVersion;
            return false;
        }
        if ((flags & FrameHeader.ReservedFlagsMask) != 0 || frame[4] == NodeAddress.Broadcast.Value)
        {
            reason = FrameDropReason.Malformed;
            return false;
        }
        header = FrameHeader.Read(frame);
        reason = default;
        return true;
    }
}

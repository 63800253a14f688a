using System.Buffers.Binary;

namespace Csa.DataLink.Internal;

/// <summary>
/// The 9-byte header of a decoded frame (docs/protocol.md, "Frame layout"):
/// <c>flags | hop limit | dst node | dst port | src node | src port | packet id (u16 LE) | fragment index</c>.
/// </summary>
internal readonly record struct FrameHeader(
    Endpoint Destination,
    Endpoint Source,
    ushort PacketId,
    byte FragmentIndex,
    bool IsLastFragment,
    byte HopLimit)
{
    /// <summary>The first byte: protocol version in the high nibble, bit 0 = last fragment; bits 1-3 reserved (0).</summary>
    public const byte LastFragmentFlag = 0x01;

    /// <summary>Bits of the flags byte that must be zero in version 1.</summary>
    public const byte ReservedFlagsMask = 0x0E;

    public void WriteTo(Span<byte> destination)
    {
        destination[0] = (byte)((DataLinkProtocol.Version << 4) | (IsLastFragment ? LastFragmentFlag : 0));
        destination[1] = HopLimit;
        destination[2] = Destination.Node.Value;
        destination[3] = Destination.Port;
        destination[4] = Source.Node.Value;
        destination[5] = Source.Port;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], PacketId);
        destination[8] = FragmentIndex;
    }

    /// <summary>Reads the header fields; the caller has checked length, version and reserved bits.</summary>
    public static FrameHeader Read(ReadOnlySpan<byte> source) => new(
        new Endpoint(new NodeAddress(source[2]), source[3]),
        new Endpoint(new NodeAddress(source[4]), source[5]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
        source[8],
        (source[0] & LastFragmentFlag) != 0,
        source[1]);
}

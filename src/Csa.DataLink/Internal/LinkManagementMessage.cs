using System.Buffers.Binary;

namespace Csa.DataLink.Internal;

/// <summary>
/// Link-management messages (port 0), docs/protocol.md "Link management". Every message is
/// <c>type | token | body</c>; a response has the request's type with bit 7 set and echoes its token.
/// </summary>
internal enum LinkManagementType : byte
{
    CapabilitiesRequest = 0x01,
    EchoRequest = 0x02,
    AssignAddress = 0x03,
    ForgetAddress = 0x04,
    CapabilitiesResponse = 0x81,
    EchoResponse = 0x82,
    AddressAssigned = 0x83,
}

internal static class LinkManagementMessage
{
    public const int HeaderSize = 2;
    public const byte ResponseFlag = 0x80;
    public const int CapabilitiesSize = 4;

    public static byte[] Create(LinkManagementType type, byte token, ReadOnlySpan<byte> body)
    {
        var message = new byte[HeaderSize + body.Length];
        message[0] = (byte)type;
        message[1] = token;
        body.CopyTo(message.AsSpan(HeaderSize));
        return message;
    }

    public static byte[] CreateCapabilities(LinkManagementType type, byte token, NodeCapabilities capabilities)
    {
        Span<byte> body = stackalloc byte[CapabilitiesSize];
        WriteCapabilities(body, capabilities);
        return Create(type, token, body);
    }

    public static void WriteCapabilities(Span<byte> destination, NodeCapabilities capabilities)
    {
        destination[0] = capabilities.ProtocolVersion;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], capabilities.MaxFrameSize);
        destination[3] = capabilities.ReceiveBuffers;
    }

    /// <summary>Reads the 4-byte capabilities body; null when it is short or advertises an impossible frame size.</summary>
    public static NodeCapabilities? ReadCapabilities(ReadOnlySpan<byte> body)
    {
        if (body.Length < CapabilitiesSize)
            return null;
        ushort maxFrameSize = BinaryPrimitives.ReadUInt16LittleEndian(body[1..]);
        if (maxFrameSize < DataLinkProtocol.MinimumMaxFrameSize || body[3] == 0)
            return null;
        return new NodeCapabilities(body[0], maxFrameSize, body[3]);
    }
}

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
    JoinGroup = 0x05,
    LeaveGroup = 0x06,
    CapabilitiesResponse = 0x81,
    EchoResponse = 0x82,
    AddressAssigned = 0x83,
    GroupJoined = 0x85,
    GroupLeft = 0x86,
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

    /// <summary>Bytes of the "largest frame you may send me" field of capabilities and assign-address requests.</summary>
    public const int FrameLimitSize = 2;

    /// <summary>A capabilities request carrying the frame size the responder may use back to the requester.</summary>
    public static byte[] CreateCapabilitiesRequest(byte token, int frameLimit)
    {
        Span<byte> body = stackalloc byte[FrameLimitSize];
        BinaryPrimitives.WriteUInt16LittleEndian(body, (ushort)frameLimit);
        return Create(LinkManagementType.CapabilitiesRequest, token, body);
    }

    /// <summary>An assign-address request: the address, then the frame size the device may use back to the host.</summary>
    public static byte[] CreateAssignAddress(byte token, NodeAddress address, int frameLimit)
    {
        Span<byte> body = stackalloc byte[1 + FrameLimitSize];
        body[0] = address.Value;
        BinaryPrimitives.WriteUInt16LittleEndian(body[1..], (ushort)frameLimit);
        return Create(LinkManagementType.AssignAddress, token, body);
    }

    /// <summary>Reads a frame limit field; null unless it is exactly two bytes and at least the protocol minimum.</summary>
    public static int? ReadFrameLimit(ReadOnlySpan<byte> field)
    {
        if (field.Length != FrameLimitSize)
            return null;
        int limit = BinaryPrimitives.ReadUInt16LittleEndian(field);
        return limit < DataLinkProtocol.MinimumMaxFrameSize ? null : limit;
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

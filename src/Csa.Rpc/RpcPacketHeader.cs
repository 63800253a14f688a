using System.Buffers.Binary;

namespace Csa.Rpc;

/// <summary>
/// The fixed 8-byte header in front of every RPC packet (docs/rpc-packets.md). Little-endian on the wire. The one place
/// that knows the header's layout: <see cref="RpcPacket"/> writes and parses it through here, and the client stamps the
/// request id and the resend flag of a prepared packet through here.
/// </summary>
/// <param name="Kind">Command, response, error or event.</param>
/// <param name="Flags">Flag bits; only bit 0 is defined: <see cref="RpcPacketFlags.Resend"/> on commands and answers, <see cref="RpcPacketFlags.FirstEvent"/> on events.</param>
/// <param name="InterfaceId">The interface the command or event belongs to.</param>
/// <param name="MessageId">The command id (command, response, error) or the event id (event).</param>
/// <param name="RequestId">
/// The client's correlation id (command, response, error), echoed by the server; for an event the publisher's
/// sequence number of that interface and event id.
/// </param>
public readonly record struct RpcPacketHeader(
    RpcPacketKind Kind,
    RpcPacketFlags Flags,
    ushort InterfaceId,
    ushort MessageId,
    ushort RequestId)
{
    /// <summary>The size of the header on the wire, in bytes.</summary>
    public const int Size = 8;

    // Byte offsets inside the header (docs/rpc-packets.md section 2).
    private const int VersionKindAt = 0;
    private const int FlagsAt = 1;
    private const int InterfaceIdAt = 2;
    private const int MessageIdAt = 4;
    private const int RequestIdAt = 6;

    /// <summary>The header of the answer to this command: same interface, command and request id, no flags.</summary>
    /// <param name="kind"><see cref="RpcPacketKind.Response"/> or <see cref="RpcPacketKind.Error"/>.</param>
    public RpcPacketHeader AnswerWith(RpcPacketKind kind) => this with { Kind = kind, Flags = RpcPacketFlags.None };

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind} if=0x{InterfaceId:X4} id=0x{MessageId:X4} req=0x{RequestId:X4}{(Flags != RpcPacketFlags.None ? $" flags={FlagsText}" : "")}";

    /// <summary>
    /// Writes the header over the first <see cref="Size"/> bytes of <paramref name="destination"/> (the caller has
    /// checked the kind and the flags: <see cref="RpcPacket.WriteHeader"/>).
    /// </summary>
    internal void WriteTo(Span<byte> destination)
    {
        destination = destination[..Size];
        destination[VersionKindAt] = (byte)((RpcPacket.ProtocolVersion << 4) | (byte)Kind);
        destination[FlagsAt] = (byte)Flags;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[InterfaceIdAt..], InterfaceId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[MessageIdAt..], MessageId);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[RequestIdAt..], RequestId);
    }

    /// <summary>Reads a header from the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    /// <returns>False, with the reason in <paramref name="error"/>, when the bytes are not a valid header.</returns>
    internal static bool TryRead(ReadOnlySpan<byte> source, out RpcPacketHeader header, out RpcPacketError error)
    {
        header = default;
        if (source.Length < Size)
        {
            error = RpcPacketError.TooShort;
            return false;
        }
        if (source[VersionKindAt] >> 4 != RpcPacket.ProtocolVersion)
        {
            error = RpcPacketError.UnsupportedVersion;
            return false;
        }
        var kind = (RpcPacketKind)(source[VersionKindAt] & 0x0F);
        if (!Enum.IsDefined(kind))
        {
            error = RpcPacketError.UnknownKind;
            return false;
        }
        var flags = (RpcPacketFlags)source[FlagsAt];
        if ((flags & ~RpcPacketFlags.Resend) != 0)
        {
            error = RpcPacketError.ReservedFlags;
            return false;
        }
        header = new RpcPacketHeader(
            kind,
            flags,
            BinaryPrimitives.ReadUInt16LittleEndian(source[InterfaceIdAt..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[MessageIdAt..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[RequestIdAt..]));
        error = RpcPacketError.None;
        return true;
    }

    // Bit 0 has one name per kind (the enum's two names for it format either way).
    private string FlagsText => Flags == RpcPacketFlags.Resend
        ? (Kind == RpcPacketKind.Event ? nameof(RpcPacketFlags.FirstEvent) : nameof(RpcPacketFlags.Resend))
        : $"0x{(byte)Flags:X2}";
}

namespace Csa.Rpc;

/// <summary>
/// The fixed 8-byte header in front of every RPC packet (docs/rpc-packets.md). Little-endian on the wire.
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

    /// <summary>The header of the answer to this command: same interface, command and request id, no flags.</summary>
    /// <param name="kind"><see cref="RpcPacketKind.Response"/> or <see cref="RpcPacketKind.Error"/>.</param>
    public RpcPacketHeader AnswerWith(RpcPacketKind kind) => this with { Kind = kind, Flags = RpcPacketFlags.None };

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind} if=0x{InterfaceId:X4} id=0x{MessageId:X4} req=0x{RequestId:X4}{(Flags != RpcPacketFlags.None ? $" flags={FlagsText}" : "")}";

    // Bit 0 has one name per kind (the enum's two names for it format either way).
    private string FlagsText => Flags == RpcPacketFlags.Resend
        ? (Kind == RpcPacketKind.Event ? nameof(RpcPacketFlags.FirstEvent) : nameof(RpcPacketFlags.Resend))
        : $"0x{(byte)Flags:X2}";
}

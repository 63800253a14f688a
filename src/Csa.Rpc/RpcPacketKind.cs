namespace Csa.Rpc;

/// <summary>What an RPC packet is (docs/rpc-packets.md, "Kind"). The low four bits of byte 0.</summary>
public enum RpcPacketKind : byte
{
    /// <summary>A request from a client; the server answers with <see cref="Response"/> or <see cref="Error"/>.</summary>
    Command = 0x01,

    /// <summary>The successful answer to a command; the payload is the command's response message.</summary>
    Response = 0x02,

    /// <summary>The failed answer to a command; the payload is a u16 error code and an optional UTF-8 message.</summary>
    Error = 0x03,

    /// <summary>A message a node publishes on its own; nobody answers it.</summary>
    Event = 0x04,
}

/// <summary>Flag bits of byte 1 of the RPC header (docs/rpc-packets.md, "Flags").</summary>
[Flags]
public enum RpcPacketFlags : byte
{
    /// <summary>No flag set.</summary>
    None = 0x00,

    /// <summary>
    /// On a command: this is a retransmission of a request id that was sent before. On a response or error:
    /// this answer was replayed from the server's response cache, the command was not executed again.
    /// Informational only; receivers treat the packet the same either way. On an event the same bit is
    /// <see cref="FirstEvent"/>.
    /// </summary>
    Resend = 0x01,

    /// <summary>
    /// On an event (the bit of <see cref="Resend"/>, which an event never needs): the publisher's first event of this
    /// interface and event id since it started; its sequence number is 0 and a subscriber counts afresh from it.
    /// </summary>
    FirstEvent = Resend,
}

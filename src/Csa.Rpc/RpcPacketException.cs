namespace Csa.Rpc;

/// <summary>Why an RPC packet could not be parsed (docs/rpc-packets.md, "Malformed packets").</summary>
public enum RpcPacketError
{
    /// <summary>The packet is well formed.</summary>
    None = 0,

    /// <summary>Fewer than the 8 header bytes.</summary>
    TooShort,

    /// <summary>The version nibble (high four bits of byte 0) is not 0.</summary>
    UnsupportedVersion,

    /// <summary>The kind nibble (low four bits of byte 0) is not one of the defined kinds.</summary>
    UnknownKind,

    /// <summary>A reserved flag bit (bits 1..7 of byte 1) is set.</summary>
    ReservedFlags,

    /// <summary>An error packet whose payload is shorter than its 2-byte error code.</summary>
    MissingErrorCode,
}

/// <summary>A packet is not a valid RPC packet: it is too short or its header holds values the protocol does not define.</summary>
public sealed class RpcPacketException : RpcException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="message">The same in words.</param>
    public RpcPacketException(RpcPacketError error, string message) : base(message) => Error = error;

    /// <summary>What is wrong with the packet.</summary>
    public RpcPacketError Error { get; }
}

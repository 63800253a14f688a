namespace Csa.Rpc;

/// <summary>The base of every RPC error.</summary>
public class RpcException : Exception
{
    /// <summary>Creates the exception with a message that says what went wrong.</summary>
    public RpcException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error underneath it.</summary>
    public RpcException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A payload could not be decoded: too short, trailing bytes, a length over its maximum, bad UTF-8.</summary>
public sealed class RpcDecodeException : RpcException
{
    /// <summary>Creates the exception.</summary>
    public RpcDecodeException(string message) : base(message) { }

    /// <summary>Creates the exception with the error underneath it.</summary>
    public RpcDecodeException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>A message could not be encoded: a field violates its declared size.</summary>
public sealed class RpcEncodeException : RpcException
{
    /// <summary>Creates the exception.</summary>
    public RpcEncodeException(string message) : base(message) { }
}

/// <summary>
/// The device answered a command with an error. On the device side a handler throws it to send that
/// error; on the host side the client throws it with the code the device sent.
/// </summary>
public class RpcErrorException : RpcException
{
    /// <summary>Creates the exception for an error code of an interface.</summary>
    /// <param name="interfaceId">The interface whose command failed.</param>
    /// <param name="errorCode">The error code: an interface-defined code (1..0xFEFF) or an <see cref="RpcStatus"/>.</param>
    /// <param name="message">What went wrong, in words.</param>
    public RpcErrorException(ushort interfaceId, ushort errorCode, string message) : base(message)
    {
        InterfaceId = interfaceId;
        ErrorCode = errorCode;
    }

    /// <summary>The interface whose command failed.</summary>
    public ushort InterfaceId { get; }

    /// <summary>The error code the device sent.</summary>
    public ushort ErrorCode { get; }

    /// <summary>The protocol-level status when <see cref="ErrorCode"/> is in the reserved range, else null.</summary>
    public RpcStatus? Status => ErrorCode >= (ushort)RpcStatus.FirstReserved ? (RpcStatus)ErrorCode : null;
}

/// <summary>Error codes reserved by the RPC layer itself (0xFF00 and up); interfaces define codes below.</summary>
public enum RpcStatus : ushort
{
    /// <summary>The first reserved code.</summary>
    FirstReserved = 0xFF00,

    /// <summary>No interface with that id on the node.</summary>
    UnknownInterface = 0xFF01,

    /// <summary>The interface has no command with that id.</summary>
    UnknownCommand = 0xFF02,

    /// <summary>The request payload is too short, too long or malformed.</summary>
    BadPayload = 0xFF03,

    /// <summary>The handler failed unexpectedly.</summary>
    InternalError = 0xFF04,

    /// <summary>The node has no free receive buffer or is busy; try again.</summary>
    Busy = 0xFF05,

    /// <summary>The packet header is malformed (unknown kind, short header).</summary>
    BadPacket = 0xFF06,
}

using Csa.DataLink;
using Microsoft.Extensions.Logging;

namespace Csa.Rpc.Internal;

/// <summary>Every log message of the RPC client and server, source-generated so a disabled level costs nothing.</summary>
internal static partial class RpcLog
{
    // Client: 100..199
    [LoggerMessage(100, LogLevel.Debug, "Dropped a malformed RPC packet from {Source}: {Error}")]
    public static partial void MalformedPacket(ILogger logger, Endpoint source, RpcPacketError error);

    [LoggerMessage(101, LogLevel.Debug, "Dropped an answer nobody waits for from {Source}: {Header}")]
    public static partial void UnmatchedAnswer(ILogger logger, Endpoint source, RpcPacketHeader header);

    [LoggerMessage(102, LogLevel.Debug, "Resending request 0x{RequestId:X4} (interface 0x{InterfaceId:X4}, command 0x{CommandId:X4}) to {Device}, attempt {Attempt} of {MaxAttempts}")]
    public static partial void Resending(ILogger logger, NodeAddress device, ushort requestId, ushort interfaceId, ushort commandId, int attempt, int maxAttempts);

    [LoggerMessage(103, LogLevel.Debug, "{Device} is busy; request 0x{RequestId:X4} will be sent again")]
    public static partial void DeviceBusy(ILogger logger, NodeAddress device, ushort requestId);

    [LoggerMessage(104, LogLevel.Warning, "Sending request 0x{RequestId:X4} to {Device} failed; the idempotent call is retried under a new request id")]
    public static partial void SendFailedRetrying(ILogger logger, Exception exception, NodeAddress device, ushort requestId);

    [LoggerMessage(105, LogLevel.Error, "The RPC client lost its link; every pending call fails")]
    public static partial void LinkLost(ILogger logger, Exception? exception);

    [LoggerMessage(106, LogLevel.Debug, "Ignored a {Kind} packet from {Source}; a client only receives answers and events")]
    public static partial void UnexpectedKind(ILogger logger, Endpoint source, RpcPacketKind kind);

    [LoggerMessage(110, LogLevel.Warning, "An event of interface 0x{InterfaceId:X4} id 0x{EventId:X4} from {Source} was dropped: the subscriber's queue is full")]
    public static partial void EventDropped(ILogger logger, NodeAddress source, ushort interfaceId, ushort eventId);

    [LoggerMessage(111, LogLevel.Warning, "An event of interface 0x{InterfaceId:X4} id 0x{EventId:X4} from {Source} could not be decoded")]
    public static partial void EventUndecodable(ILogger logger, Exception exception, NodeAddress source, ushort interfaceId, ushort eventId);

    [LoggerMessage(112, LogLevel.Error, "An event handler for interface 0x{InterfaceId:X4} id 0x{EventId:X4} from {Source} threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception, NodeAddress source, ushort interfaceId, ushort eventId);

    // Server: 200..299
    [LoggerMessage(200, LogLevel.Debug, "Rejected a malformed RPC packet from {Source}: {Error}")]
    public static partial void ServerMalformedPacket(ILogger logger, Endpoint source, RpcPacketError error);

    [LoggerMessage(201, LogLevel.Debug, "Answered the repeated request 0x{RequestId:X4} from {Source} from the response cache")]
    public static partial void ReplayedFromCache(ILogger logger, Endpoint source, ushort requestId);

    [LoggerMessage(202, LogLevel.Debug, "Ignored the repeated request 0x{RequestId:X4} from {Source}: its first copy is still executing")]
    public static partial void DuplicateWhileExecuting(ILogger logger, Endpoint source, ushort requestId);

    [LoggerMessage(208, LogLevel.Debug, "Dropped a late copy of request 0x{RequestId:X4} from {Source}: it was answered long ago")]
    public static partial void StaleDuplicate(ILogger logger, Endpoint source, ushort requestId);

    [LoggerMessage(203, LogLevel.Debug, "Answered request 0x{RequestId:X4} from {Source} with Busy: {Limit} requests are executing")]
    public static partial void RejectedBusy(ILogger logger, Endpoint source, ushort requestId, int limit);

    [LoggerMessage(204, LogLevel.Error, "Command 0x{CommandId:X4} of interface 0x{InterfaceId:X4} from {Source} threw; answered InternalError")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, Endpoint source, ushort interfaceId, ushort commandId);

    [LoggerMessage(205, LogLevel.Warning, "Sending the answer to request 0x{RequestId:X4} to {Destination} failed; a resend will be answered from the cache")]
    public static partial void AnswerSendFailed(ILogger logger, Exception exception, Endpoint destination, ushort requestId);

    [LoggerMessage(206, LogLevel.Error, "The RPC server lost its link and stopped")]
    public static partial void ServerLinkLost(ILogger logger, Exception exception);

    [LoggerMessage(207, LogLevel.Debug, "Ignored a {Kind} packet from {Source}; a server only receives commands")]
    public static partial void ServerUnexpectedKind(ILogger logger, Endpoint source, RpcPacketKind kind);

    [LoggerMessage(208, LogLevel.Error, "A command failed outside its handler (its answer could not be sent); the commands of its source queued behind it go on")]
    public static partial void CommandFailed(ILogger logger, Exception exception);
}

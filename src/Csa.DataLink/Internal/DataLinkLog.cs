using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Internal;

/// <summary>Every log line of the data link, source-generated so a disabled level costs nothing.</summary>
internal static partial class DataLinkLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Link {Link} added as {Role}")]
    public static partial void LinkAdded(ILogger logger, string link, LinkRole role);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Link {Link} closed: {Reason}")]
    public static partial void LinkClosed(ILogger logger, string link, string reason, Exception? exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Link {Link}: frame dropped ({Reason})")]
    public static partial void FrameDropped(ILogger logger, string link, FrameDropReason reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Took address {Address} from {Requester}")]
    public static partial void AddressAssigned(ILogger logger, NodeAddress address, Endpoint requester);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Forgot address {Address} on request of {Requester}")]
    public static partial void AddressForgotten(ILogger logger, NodeAddress address, Endpoint requester);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Chain behind {Link}: position {Position} is {Address} ({Capabilities})")]
    public static partial void ChainMemberFound(ILogger logger, string link, int position, NodeAddress address, NodeCapabilities capabilities);

    [LoggerMessage(EventId = 7, Level = LogLevel.Debug, Message = "Packet {PacketId} from {Source} timed out in reassembly after {Bytes} bytes")]
    public static partial void ReassemblyTimedOut(ILogger logger, ushort packetId, Endpoint source, int bytes);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Link-management reply to {Destination} on {Link} failed")]
    public static partial void ReplyFailed(ILogger logger, Endpoint destination, string link, Exception exception);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Forwarding a frame for {Destination} out of {Link} failed")]
    public static partial void ForwardFailed(ILogger logger, Endpoint destination, string link, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Packet for {Destination} dropped at this node ({Reason})")]
    public static partial void PacketDropped(ILogger logger, Endpoint destination, FrameDropReason reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Joined {Group}")]
    public static partial void GroupJoined(ILogger logger, NodeAddress group);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Left {Group} (broadcast: every group)")]
    public static partial void GroupLeft(ILogger logger, NodeAddress group);

    [LoggerMessage(EventId = 13, Level = LogLevel.Debug, Message = "Frame passed on from {From} to {To} while it arrived ended {Outcome} ({Reason})")]
    public static partial void CutThroughEnded(ILogger logger, string from, string to, CutThroughOutcome outcome, FrameDropReason reason);
}

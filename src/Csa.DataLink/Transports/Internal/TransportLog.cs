using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Transports.Internal;

/// <summary>Source-generated log messages of the transports (silent unless a logger is configured).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "{Transport}: opened")]
    public static partial void Opened(ILogger logger, string transport);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "{Transport}: closed ({Reason})")]
    public static partial void Closed(ILogger logger, string transport, string reason, Exception? error);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "{Transport}: local output completed, sending side shut down")]
    public static partial void OutputCompleted(ILogger logger, string transport);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "{Listener}: accepted {Transport}")]
    public static partial void Accepted(ILogger logger, string listener, string transport);
}

using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Bus.Internal;

/// <summary>Source-generated log messages of the bus links (silent unless a logger is configured).</summary>
internal static partial class BusLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "{Link}: opened ({Mode})")]
    public static partial void Opened(ILogger logger, string link, string mode);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "{Link}: closed ({Reason})")]
    public static partial void Closed(ILogger logger, string link, string reason, Exception? error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "{Link}: the device has not answered for {Milliseconds} ms ({Failures} failed, {Invalid} invalid headers); writes are discarded until it answers")]
    public static partial void Offline(ILogger logger, string link, long milliseconds, long failures, long invalid);

    [LoggerMessage(EventId = 303, Level = LogLevel.Information, Message = "{Link}: the device answers again")]
    public static partial void BackOnline(ILogger logger, string link);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "{Link}: the device's bus interface restarted (reset flag)")]
    public static partial void DeviceRestarted(ILogger logger, string link);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "{Link}: the device discarded bytes it had no room for (overflow flag)")]
    public static partial void Overflow(ILogger logger, string link);
}

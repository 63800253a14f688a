using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Flash.Internal;

internal static partial class FlashLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Power cut {When} {Operation}")]
    public static partial void PowerCut(ILogger logger, string when, string operation);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "{Sector} passed its erase endurance: {Cycles} cycles")]
    public static partial void EnduranceExceeded(ILogger logger, string sector, int cycles);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Power on")]
    public static partial void PowerOn(ILogger logger);
}

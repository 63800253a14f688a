using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Device.Internal;

internal static partial class DeviceLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Device {Device} powered on: {State} ({Reason})")]
    public static partial void PoweredOn(ILogger logger, string device, VirtualDeviceState state, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Device {Device} powered off ({How})")]
    public static partial void PoweredOff(ILogger logger, string device, string how);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Device {Device} resets into {Mode} mode")]
    public static partial void Resetting(ILogger logger, string device, Csa.Rpc.Device.ResetMode mode);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Device {Device}: the reset failed: {Reason}")]
    public static partial void ResetFailed(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Warning, Message = "Device {Device}: resetting ({Mode}) although the answer to the command did not leave the link within a second")]
    public static partial void ResetWithoutAnswer(ILogger logger, string device, Csa.Rpc.Device.ResetMode mode);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Debug, Message = "Telemetry not sent: {Reason}")]
    public static partial void TelemetryNotSent(ILogger logger, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Device {Device}: event not sent: {Reason}")]
    public static partial void EventNotSent(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Debug, Message = "Device {Device}: an answer was lost at power-down: {Reason}")]
    public static partial void AnswerLost(ILogger logger, string device, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Device {Device}: saving the flash to {Path} failed: {Reason}")]
    public static partial void FlashSaveFailed(ILogger logger, string device, string path, string reason);
}

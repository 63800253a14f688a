using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Provisioning.Internal;

/// <summary>The provisioning station's log messages (source-generated), one per device and outcome.</summary>
internal static partial class ProvisioningLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Device {Uid} at {Address}: provisioned, certificate serial {Serial} ({ElapsedMs:0} ms)")]
    public static partial void Provisioned(ILogger logger, string uid, string address, uint serial, double elapsedMs);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Device {Uid} at {Address}: already provisioned by this station's key, certificate serial {Serial}")]
    public static partial void AlreadyProvisioned(ILogger logger, string uid, string address, uint serial);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Device {Uid} at {Address}: provisioning failed ({Reason}); the device is blank or fully provisioned")]
    public static partial void Failed(ILogger logger, Exception exception, string uid, string address, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Device {Uid} at {Address}: provisioning cancelled")]
    public static partial void Cancelled(ILogger logger, string uid, string address);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Error, Message = "Device {Uid}: its result ({Outcome}) could not be recorded: {Reason}")]
    public static partial void RecordingFailed(ILogger logger, Exception exception, string uid, ProvisioningOutcome outcome, string reason);
}

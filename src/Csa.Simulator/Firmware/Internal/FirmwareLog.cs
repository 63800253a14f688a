using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Firmware.Internal;

internal static partial class FirmwareLog
{
    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Boot: {Decision}")]
    public static partial void Booted(ILogger logger, BootDecision decision);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "BeginUpdate refused ({Error}): {Reason}")]
    public static partial void BeginRefused(ILogger logger, string error, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Update of {Region} begun: {Manifest}")]
    public static partial void UpdateBegun(ILogger logger, string region, string manifest);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Update of {Region} resumed at offset {Offset}")]
    public static partial void UpdateResumed(ILogger logger, string region, uint offset);

    [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "Watermark of {Region} persisted at {Offset}")]
    public static partial void WatermarkPersisted(ILogger logger, string region, uint offset);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Image committed in {Region} (trailer slot {Slot}), security counter {Counter}")]
    public static partial void Committed(ILogger logger, string region, int slot, uint counter);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Written payload of {Region} does not match the manifest; starting over")]
    public static partial void PayloadMismatch(ILogger logger, string region);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Update aborted")]
    public static partial void Aborted(ILogger logger);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "The committed provisioning record is not this chip's ({Fault}): staying in the bootloader")]
    public static partial void IdentityMismatch(ILogger logger, string fault);

    [LoggerMessage(EventId = 110, Level = LogLevel.Error, Message = "Provisioning damaged: the identity key is certified but {Fault}; staying in the bootloader")]
    public static partial void ProvisioningDamaged(ILogger logger, string fault);

    [LoggerMessage(EventId = 111, Level = LogLevel.Debug, Message = "Sector {Sector} of {Region} erased ahead of the writes")]
    public static partial void ErasedAhead(ILogger logger, string region, int sector);

    [LoggerMessage(EventId = 114, Level = LogLevel.Debug, Message = "Sector {Sector} of {Region} erased ahead of the writes in {Milliseconds:0} ms: {Bytes} bytes arrived meanwhile; the line {Into} bytes into a frame at its start; commands waiting in the receive buffers: {WaitingAtStart} at its start, {WaitingAtEnd} at its end; payload committed to {Committed}")]
    public static partial void ErasedAheadWhileReceiving(ILogger logger, string region, int sector, double milliseconds, long bytes, long into, int waitingAtStart, int waitingAtEnd, uint committed);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Erase-ahead in {Region} failed ({Reason}); the first write into the sector erases it")]
    public static partial void EraseAheadFailed(ILogger logger, string region, string reason);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Sector {Sector} of {Region} holds a unit torn by a power cut: erasing it again, the watermark goes back to {Offset}")]
    public static partial void ResumedSectorTorn(ILogger logger, string region, int sector, uint offset);
}

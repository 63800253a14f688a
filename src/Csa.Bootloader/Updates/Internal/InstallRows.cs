using Csa.Bootloader.Images;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>The rows of the many-devices workflows (<see cref="InstallResult"/>): one place says what a row holds.</summary>
internal static class InstallRows
{
    /// <summary>The row of a device whose update completed.</summary>
    public static InstallResult Succeeded(DeviceInfo device, UpdateResult result, TimeSpan duration) =>
        new(device.Uid, device.Address, device.ProductName, true, null, null, result.VersionBefore, result.VersionAfter, result.BytesSent, duration, result);

    /// <summary>
    /// The row of a device whose update threw <paramref name="error"/>: the version before is the one of the region the
    /// image was for (<paramref name="kind"/>; the application when the image is not known), the bytes are those the
    /// update sent before it stopped.
    /// </summary>
    public static InstallResult Failed(DeviceInfo device, ImageKind? kind, Exception error, TimeSpan duration, ILogger logger)
    {
        UpdateLog.InstallFailed(logger, device.Uid.ToString(), error.Message);
        FirmwareVersion? before = kind == ImageKind.Bootloader ? device.BootloaderVersion : device.ApplicationValid ? device.ApplicationVersion : null;
        long sent = (error as UpdateFailedException)?.BytesSent ?? 0;
        return new InstallResult(device.Uid, device.Address, device.ProductName, false,
            error is OperationCanceledException ? "cancelled" : error.Message, error, before, null, sent, duration, null);
    }
}

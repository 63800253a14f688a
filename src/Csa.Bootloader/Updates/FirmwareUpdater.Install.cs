using Csa.Bootloader.Images;
using Csa.Bootloader.Updates.Internal;

namespace Csa.Bootloader.Updates;

// Production install: many devices in parallel, each with its own image.
public sealed partial class FirmwareUpdater
{
    /// <summary>
    /// Installs firmware on many devices in parallel (REQ-INST), each with its own image from
    /// <paramref name="imageForDevice"/> (an image bound to the device, or encrypted for it, made by the signing service
    /// on demand). Application images go through <see cref="UpdateApplicationAsync"/>, bootloader images through
    /// <see cref="UpdateBootloaderAsync(DeviceInfo, FirmwareImage, bool, IProgress{UpdateProgress}?, CancellationToken)"/>.
    /// One device's failure does not stop the others.
    /// </summary>
    /// <param name="devices">The devices (as discovered).</param>
    /// <param name="imageForDevice">Makes (or looks up) the image for one device; called once per device, in parallel.</param>
    /// <param name="maxParallel">At most this many devices at once (devices on one daisy chain share its bandwidth).</param>
    /// <param name="progress">Receives every device's reports (<see cref="UpdateProgress.Device"/> tells them apart).</param>
    /// <param name="cancellationToken">Stops every update; the rows of devices not finished then say so.</param>
    /// <returns>One row per device, in the order given: success or failure with its reason, versions, bytes and time.</returns>
    public async Task<IReadOnlyList<InstallResult>> InstallAsync(
        IEnumerable<DeviceInfo> devices,
        Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageForDevice,
        int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(imageForDevice);
        DeviceInfo[] list = DeviceBatch.Validate(devices, maxParallel, nameof(devices), nameof(maxParallel));
        Options.Validate();

        using var gate = new SemaphoreSlim(maxParallel, maxParallel);
        InstallResult[] rows = await Task.WhenAll(list.Select(d => InstallOneAsync(d, imageForDevice, gate, progress, cancellationToken))).ConfigureAwait(false);
        return rows;
    }

    /// <summary>Installs the same image on every device (an unbound, unencrypted image); see the overload with a callback.</summary>
    public Task<IReadOnlyList<InstallResult>> InstallAsync(IEnumerable<DeviceInfo> devices, FirmwareImage image, int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return InstallAsync(devices, (_, _) => Task.FromResult(image), maxParallel, progress, cancellationToken);
    }

    private async Task<InstallResult> InstallOneAsync(DeviceInfo device, Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageForDevice,
        SemaphoreSlim gate, IProgress<UpdateProgress>? progress, CancellationToken cancellationToken)
    {
        TimeProvider time = Options.TimeProvider;
        long started = time.GetTimestamp();
        FirmwareVersion? before = device.ApplicationValid ? device.ApplicationVersion : null;
        try
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                started = time.GetTimestamp();
                FirmwareImage image = await imageForDevice(device, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The image callback returned no image for device {device.Uid}.");
                if (image.Manifest.Kind == Images.ImageKind.Bootloader)
                    before = device.BootloaderVersion;
                UpdateResult result = image.Manifest.Kind == Images.ImageKind.Bootloader
                    ? await UpdateBootloaderAsync(device, image, false, progress, cancellationToken).ConfigureAwait(false)
                    : await UpdateApplicationAsync(device, image, progress, cancellationToken).ConfigureAwait(false);
                return new InstallResult(device.Uid, device.Address, device.ProductName, true, null, null,
                    result.VersionBefore, result.VersionAfter, result.BytesSent, time.GetElapsedTime(started), result);
            }
            finally
            {
                gate.Release();
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            UpdateLog.InstallFailed(Logger, device.Uid.ToString(), ex.Message);
            long sent = (ex as UpdateFailedException)?.BytesSent ?? 0;
            return new InstallResult(device.Uid, device.Address, device.ProductName, false,
                ex is OperationCanceledException ? "cancelled" : ex.Message, ex, before, null, sent, time.GetElapsedTime(started), null);
        }
    }
}

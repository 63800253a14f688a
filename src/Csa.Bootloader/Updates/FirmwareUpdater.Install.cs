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
    /// One device's failure does not stop the others. Devices on one daisy chain restart in turn (docs/updates.md section
    /// 10): a device forwards nothing while it restarts, so no device restarts while a command to one behind it could be
    /// on its way; devices on a star, a bus or TCP never wait for each other.
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

        // The image is made inside the device's turn (a signing service asked on demand, at most maxParallel at once).
        var kinds = new ImageKind?[list.Length];
        // Devices on one daisy chain restart in turn, so that no restart cuts off another device's commands (ChainTurns);
        // the first maxParallel get their slots at once and start together.
        ChainTurns turns = ChainTurns.ForUnicast(list, list.Take(maxParallel));
        return await DeviceBatch.RunAsync(list, maxParallel, Options.TimeProvider, async (turn, ct) =>
        {
            FirmwareImage image = await imageForDevice(turn.Device, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The image callback returned no image for device {turn.Device.Uid}.");
            kinds[turn.Index] = image.Manifest.Kind;
            // A bootloader image restarts the device between its copies without turns (bootloader updates are rare and
            // short): nobody waits for it.
            bool takesTurn = image.Manifest.Kind == ImageKind.Application;
            if (takesTurn)
                turns.Join(turn.Device.Uid);
            else
                turns.Leave(turn.Device.Uid);
            UpdateResult result = await new UpdateRun(this, turn.Device, PlanFor(image), ReportingTo(progress), ct, turns: takesTurn ? turns : null).RunAsync().ConfigureAwait(false);
            return InstallRows.Succeeded(turn.Device, result, Options.TimeProvider.GetElapsedTime(turn.Started));
        }, (turn, error, elapsed) => InstallRows.Failed(turn.Device, kinds[turn.Index], error, elapsed, Logger), cancellationToken,
        (turn, row) =>
        {
            turns.Leave(turn.Device.Uid); // done, failed or cancelled: nobody waits for it
            return Task.FromResult(row);
        }).ConfigureAwait(false);
    }

    /// <summary>Installs the same image on every device (an unbound, unencrypted image); see the overload with a callback.</summary>
    public Task<IReadOnlyList<InstallResult>> InstallAsync(IEnumerable<DeviceInfo> devices, FirmwareImage image, int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return InstallAsync(devices, (_, _) => Task.FromResult(image), maxParallel, progress, cancellationToken);
    }

    /// <summary>What one image asks for: the application, or the bootloader copy it is linked for.</summary>
    private static UpdatePlan PlanFor(FirmwareImage image) => image.Manifest.Kind == ImageKind.Bootloader
        ? UpdatePlan.ForBootloader([image], bothCopies: false)
        : UpdatePlan.ForApplication(image);
}

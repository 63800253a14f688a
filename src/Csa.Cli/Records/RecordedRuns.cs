using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Records;

namespace Csa.Cli.Records;

/// <summary>
/// Install and update runs that write one row per device into the records as each device finishes (not at the end of
/// the batch: a station that stops mid-batch keeps the rows of the devices done). The update workflow itself is the
/// SDK's, unchanged.
/// </summary>
internal static class RecordedRuns
{
    /// <summary><see cref="FirmwareUpdater.InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/>, one device at a time through it, at most <paramref name="maxParallel"/> at once.</summary>
    public static async Task<IReadOnlyList<InstallResult>> InstallAsync(FirmwareUpdater updater, IReadOnlyList<DeviceInfo> devices,
        Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageFor, int maxParallel, IProgress<UpdateProgress>? progress,
        RecordsSession records, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(maxParallel, maxParallel);
        return await Task.WhenAll(devices.Select(async device =>
        {
            // Not cancellable: a cancelled run still goes through InstallAsync, which answers a "cancelled" row at once.
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                FirmwareImage? image = null;
                DateTimeOffset started = DateTimeOffset.UtcNow;
                IReadOnlyList<InstallResult> rows = await updater.InstallAsync([device], async (d, ct) =>
                {
                    started = DateTimeOffset.UtcNow;
                    image = await imageFor(d, ct).ConfigureAwait(false);
                    return image;
                }, 1, progress, cancellationToken).ConfigureAwait(false);
                await records.RecordInstallAsync(InstallEntry.From(rows[0], image, "install", records.Origin, started, DateTimeOffset.UtcNow)).ConfigureAwait(false);
                return rows[0];
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, FirmwareImage?, Task}?)"/>
    /// (one transfer for the devices that share a payload), each row recorded as its device ends when <paramref name="records"/> is given.
    /// </summary>
    public static Task<IReadOnlyList<InstallResult>> UpdateManyAsync(FirmwareUpdater updater, IReadOnlyList<DeviceInfo> devices,
        Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageFor, int maxParallel, IProgress<UpdateProgress>? progress,
        RecordsSession? records, string operation, CancellationToken cancellationToken)
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        return updater.UpdateManyAsync(devices, imageFor, maxParallel, progress, cancellationToken, records is null ? null
            : (row, image) => records.RecordInstallAsync(InstallEntry.From(row, image, operation, records.Origin, started, DateTimeOffset.UtcNow)));
    }

    /// <summary>The same image for every device (<c>csa update</c>).</summary>
    public static Task<IReadOnlyList<InstallResult>> UpdateManyAsync(FirmwareUpdater updater, IReadOnlyList<DeviceInfo> devices, FirmwareImage image,
        int maxParallel, IProgress<UpdateProgress>? progress, RecordsSession? records, CancellationToken cancellationToken) =>
        UpdateManyAsync(updater, devices, (_, _) => Task.FromResult(image), maxParallel, progress, records, "update", cancellationToken);

    /// <summary>Wraps one device's update so that its row is recorded when it ends, succeeded or not (one row per image written).</summary>
    public static Func<DeviceInfo, CancellationToken, Task<UpdateResult>> Recorded(Func<DeviceInfo, CancellationToken, Task<UpdateResult>> update,
        IReadOnlyList<FirmwareImage> images, RecordsSession records) => async (device, cancellationToken) =>
    {
        DateTimeOffset started = DateTimeOffset.UtcNow;
        long timestamp = TimeProvider.System.GetTimestamp();
        FirmwareVersion? before = images[0].Manifest.Kind == ImageKind.Bootloader ? device.BootloaderVersion : device.ApplicationValid ? device.ApplicationVersion : null;
        UpdateResult result;
        try
        {
            result = await update(device, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var failed = new InstallResult(device.Uid, device.Address, device.ProductName, false, ErrorReporter.Describe(e).Message, e, before, null,
                (e as UpdateFailedException)?.BytesSent ?? 0, TimeProvider.System.GetElapsedTime(timestamp), null);
            await RecordAsync(failed).ConfigureAwait(false);
            throw;
        }
        await RecordAsync(new InstallResult(device.Uid, device.Address, device.ProductName, true, null, null, result.VersionBefore ?? before, result.VersionAfter,
            result.BytesSent, result.Duration, result)).ConfigureAwait(false);
        return result;

        async Task RecordAsync(InstallResult row)
        {
            DateTimeOffset ended = DateTimeOffset.UtcNow;
            foreach (FirmwareImage image in images)
                await records.RecordInstallAsync(InstallEntry.From(row, image, "update", records.Origin, started, ended)).ConfigureAwait(false);
        }
    };
}

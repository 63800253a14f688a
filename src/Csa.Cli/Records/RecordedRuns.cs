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
    /// <summary>
    /// <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, FirmwareImage?, Task}?)"/>
    /// (one transfer for the devices that share a payload), each row recorded as its device ends when <paramref name="records"/> is given.
    /// </summary>
    public static Task<IReadOnlyList<InstallResult>> UpdateManyAsync(FirmwareUpdater updater, IReadOnlyList<DeviceInfo> devices,
        Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageFor, int maxParallel, IProgress<UpdateProgress>? progress,
        RecordsSession? records, string operation, CancellationToken cancellationToken)
    {
        return updater.UpdateManyAsync(devices, imageFor, maxParallel, progress, cancellationToken, records is null ? null : (row, image) =>
        {
            // The row's own time: from the device's turn (not the batch's start) to now.
            DateTimeOffset ended = DateTimeOffset.UtcNow;
            return records.RecordInstallAsync(InstallEntry.From(row, image, operation, records.Origin, ended - row.Duration, ended));
        });
    }

    /// <summary>The same image for every device (<c>csa update</c>).</summary>
    public static Task<IReadOnlyList<InstallResult>> UpdateManyAsync(FirmwareUpdater updater, IReadOnlyList<DeviceInfo> devices, FirmwareImage image,
        int maxParallel, IProgress<UpdateProgress>? progress, RecordsSession? records, CancellationToken cancellationToken) =>
        UpdateManyAsync(updater, devices, (_, _) => Task.FromResult(image), maxParallel, progress, records, "update", cancellationToken);

    /// <summary>
    /// <see cref="FirmwareUpdater.UpdateBootloaderAsync(IEnumerable{DeviceInfo}, IReadOnlyList{FirmwareImage}, bool, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, Task}?)"/>,
    /// each device's rows recorded as it ends when <paramref name="records"/> is given (one row per image written).
    /// </summary>
    public static Task<IReadOnlyList<InstallResult>> UpdateBootloadersAsync(FirmwareUpdater updater, IReadOnlyList<DeviceInfo> devices,
        IReadOnlyList<FirmwareImage> images, bool bothCopies, int maxParallel, IProgress<UpdateProgress>? progress, RecordsSession? records,
        CancellationToken cancellationToken) =>
        updater.UpdateBootloaderAsync(devices, images, bothCopies, maxParallel, progress, cancellationToken, records is null ? null : async row =>
        {
            DateTimeOffset ended = DateTimeOffset.UtcNow;
            foreach (FirmwareImage image in images)
                await records.RecordInstallAsync(InstallEntry.From(row, image, "update", records.Origin, ended - row.Duration, ended)).ConfigureAwait(false);
        });
}

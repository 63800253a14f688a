using Csa.Bootloader.Images;

namespace Csa.Bootloader.Updates;

// Blocking forms of the workflows, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class FirmwareUpdater
{
    /// <summary>Blocking form of <see cref="UpdateApplicationAsync"/>.</summary>
    /// <remarks>Preferred over the callback form for a null third argument, so <c>UpdateApplication(device, image, null)</c> compiles.</remarks>
    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public UpdateResult UpdateApplication(DeviceInfo device, FirmwareImage image, IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default) =>
        UpdateApplicationAsync(device, image, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="UpdateApplicationAsync"/> with a progress callback (called on the reporting thread).</summary>
    public UpdateResult UpdateApplication(DeviceInfo device, FirmwareImage image, Action<UpdateProgress> onProgress) =>
        UpdateApplication(device, image, new CallbackProgress<UpdateProgress>(onProgress));

    /// <summary>Blocking form of <see cref="UpdateBootloaderAsync(DeviceInfo, FirmwareImage, bool, IProgress{UpdateProgress}?, CancellationToken)"/>.</summary>
    public UpdateResult UpdateBootloader(DeviceInfo device, FirmwareImage image, bool updateBothCopies = false, IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default) =>
        UpdateBootloaderAsync(device, image, updateBothCopies, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="UpdateBootloaderAsync(DeviceInfo, IReadOnlyList{FirmwareImage}, bool, IProgress{UpdateProgress}?, CancellationToken)"/>.</summary>
    public UpdateResult UpdateBootloader(DeviceInfo device, IReadOnlyList<FirmwareImage> images, bool updateBothCopies = false, IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default) =>
        UpdateBootloaderAsync(device, images, updateBothCopies, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="UpdateBootloaderAsync(IEnumerable{DeviceInfo}, IReadOnlyList{FirmwareImage}, bool, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, Task}?)"/>.</summary>
    public IReadOnlyList<InstallResult> UpdateBootloader(IEnumerable<DeviceInfo> devices, IReadOnlyList<FirmwareImage> images, bool updateBothCopies = false, int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default) =>
        UpdateBootloaderAsync(devices, images, updateBothCopies, maxParallel, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>
    /// Blocking form of <see cref="InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/>
    /// with a synchronous image callback (from Python, a function wrapped as <c>Func[DeviceInfo, FirmwareImage](f)</c>).
    /// </summary>
    public IReadOnlyList<InstallResult> Install(IEnumerable<DeviceInfo> devices, Func<DeviceInfo, FirmwareImage> imageForDevice, int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(imageForDevice);
        return InstallAsync(devices, (device, _) => Task.Run(() => imageForDevice(device)), maxParallel, progress, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>Blocking form of <see cref="InstallAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/>.</summary>
    public IReadOnlyList<InstallResult> Install(IEnumerable<DeviceInfo> devices, FirmwareImage image, int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default) =>
        InstallAsync(devices, image, maxParallel, progress, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="AbortAsync"/>.</summary>
    public void Abort(DeviceInfo device, CancellationToken cancellationToken = default) =>
        AbortAsync(device, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="UpdateManyAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/>.</summary>
    public IReadOnlyList<InstallResult> UpdateMany(IEnumerable<DeviceInfo> devices, FirmwareImage image, int maxParallel = 4, CancellationToken cancellationToken = default) =>
        UpdateManyAsync(devices, image, maxParallel, null, cancellationToken).GetAwaiter().GetResult();
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates.Internal;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Updates;

/// <summary>
/// Installs and updates firmware on the devices of a <see cref="DeviceNetwork"/>: the application
/// (<see cref="UpdateApplicationAsync"/>), the bootloader through its two copies (<see cref="UpdateBootloaderAsync(DeviceInfo, FirmwareImage, bool, IProgress{UpdateProgress}?, CancellationToken)"/>),
/// and many devices at once in production (<see cref="InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/>).
/// Every update checks the image against the device first, pipelines its writes up to the device's receive
/// buffers, resumes after power cuts and lost links from what the device already holds, and confirms that the new
/// image runs. Thread-safe: update many devices concurrently with one updater. See docs/updates.md.
/// </summary>
public sealed partial class FirmwareUpdater
{
    private readonly ILogger _logger;

    /// <summary>Creates an updater for the devices of <paramref name="network"/>.</summary>
    /// <param name="network">The network the devices are on; the updater does not own it.</param>
    /// <param name="options">Settings; null takes the defaults. Checked here, once (they cannot change afterwards).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public FirmwareUpdater(DeviceNetwork network, UpdateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        Options = options ?? UpdateOptions.Default;
        Options.Validate();
        _logger = Options.LoggerFactory.CreateLogger<FirmwareUpdater>();
    }

    /// <summary>The network the devices are on.</summary>
    public DeviceNetwork Network { get; }

    /// <summary>The settings.</summary>
    public UpdateOptions Options { get; }

    /// <summary>
    /// Updates the application of <paramref name="device"/> to <paramref name="image"/> (REQ-UPD-APP): enters the
    /// bootloader if the application runs, checks the image against the device, offers it (resuming an interrupted
    /// transfer of the same image), writes the payload pipelined, lets the device verify and commit it, restarts the
    /// device and confirms that the new version runs.
    /// </summary>
    /// <param name="device">The device, as discovered (found again by its unique id if it moved).</param>
    /// <param name="image">An application image for this device (bound to it or encrypted for it when the product wants that).</param>
    /// <param name="progress">Receives progress reports; null for none.</param>
    /// <param name="cancellationToken">Stops the update, leaving the device as <see cref="UpdateOptions.AbortOnCancel"/> says.</param>
    /// <returns>What was done, with the confirmed new version.</returns>
    /// <exception cref="UpdateRejectedException">The host's pre-check or the device refused the image.</exception>
    /// <exception cref="UpdateFailedException">A fault outlasted <see cref="UpdateOptions.MaxResumeAttempts"/>, or the new version does not run.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public Task<UpdateResult> UpdateApplicationAsync(DeviceInfo device, FirmwareImage image, IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(image);
        return new UpdateRun(this, device, UpdatePlan.ForApplication(image), ReportingTo(progress), cancellationToken).RunAsync();
    }

    /// <summary>
    /// Updates the bootloader of <paramref name="device"/> through its two copies (REQ-UPD-BL): writes the copy that
    /// does not run, restarts into it (the pre-bootloader starts the valid copy with the highest version) and confirms
    /// which copy runs and its version; with <paramref name="updateBothCopies"/> it then writes the other copy too
    /// (now the one not running) and confirms both. A bootloader image is linked for one copy's address, so for one
    /// copy the image must be linked for the copy that does not run now; for both copies use the overload that takes
    /// one image per copy. Afterwards the application is started again when it is valid.
    /// </summary>
    /// <exception cref="UpdateRejectedException">The image is for the running copy, or the pre-check or the device refused it.</exception>
    /// <exception cref="UpdateFailedException">A fault outlasted the retry policy, or the expected copy does not run.</exception>
    public Task<UpdateResult> UpdateBootloaderAsync(DeviceInfo device, FirmwareImage image, bool updateBothCopies = false, IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return UpdateBootloaderAsync(device, [image], updateBothCopies, progress, cancellationToken);
    }

    /// <summary>
    /// Updates the bootloader with one image per copy (each linked for its copy's address); see
    /// <see cref="UpdateBootloaderAsync(DeviceInfo, FirmwareImage, bool, IProgress{UpdateProgress}?, CancellationToken)"/>.
    /// The image whose load address is the copy that does not run is written first.
    /// </summary>
    public Task<UpdateResult> UpdateBootloaderAsync(DeviceInfo device, IReadOnlyList<FirmwareImage> images, bool updateBothCopies = false, IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        CheckBootloaderImages(images);
        return new UpdateRun(this, device, UpdatePlan.ForBootloader(images, updateBothCopies), ReportingTo(progress), cancellationToken).RunAsync();
    }

    /// <summary>
    /// Sends AbortUpdate to <paramref name="device"/>'s bootloader: the update in progress is dropped and its target
    /// region stays invalid (the bootloader stays resident when it was the application). Does nothing harmful when
    /// no update is in progress.
    /// </summary>
    /// <exception cref="UpdateFailedException">The application runs (there is no update to abort) or the device did not answer.</exception>
    public async Task AbortAsync(DeviceInfo device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        DeviceInfo current = await Network.RefreshAsync(device, cancellationToken).ConfigureAwait(false);
        if (!current.IsInBootloader)
            throw new UpdateFailedException(device.Uid, UpdateStage.Checking, "The application runs: there is no update in progress to abort.");
        using BootloaderClient client = Network.CreateBootloaderClient(current);
        await client.AbortUpdateAsync(new AbortUpdateRequest(), Options.Retry.ToCallOptions(idempotent: false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Checks <paramref name="image"/> against <paramref name="device"/> on the host, as every update does before it
    /// sends anything (see <see cref="UpdateOptions.LocalPreCheck"/>), with what the device reported: its identity and
    /// security counter, and its bootloader's rules (<see cref="DeviceInfo.Rules"/>: signatures or CRC, requirements,
    /// each region's start and largest payload), which its application reports too. For firmware that does not report
    /// its rules, the location is checked against the bootloader's regions when <paramref name="device"/> was read while
    /// its bootloader ran, and the authentication scheme is left to the device.
    /// </summary>
    /// <exception cref="UpdateRejectedException">The device would refuse the image (<see cref="UpdateRejectedException.LocalRejection"/> says why).</exception>
    public void CheckImage(DeviceInfo device, FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(image);
        UpdateRun.PreCheck(device, image, Options);
    }

    internal ILogger Logger => _logger;

    /// <summary>At least one bootloader image, none null, at most one per copy (each is linked for its copy's address).</summary>
    private static void CheckBootloaderImages(IReadOnlyList<FirmwareImage> images)
    {
        ArgumentNullException.ThrowIfNull(images, nameof(images));
        if (images.Count == 0)
            throw new ArgumentException("At least one bootloader image is needed.", nameof(images));
        foreach (FirmwareImage image in images)
            ArgumentNullException.ThrowIfNull(image, nameof(images));
        if (images.Select(i => i.Manifest.LoadAddress).Distinct().Count() != images.Count)
            throw new ArgumentException("Two images are linked for the same address; give at most one image per bootloader copy.", nameof(images));
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates.Internal;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates;

/// <summary>
/// The service operations around updates, on the devices of a <see cref="DeviceNetwork"/>: restart a device into its
/// application or into its bootloader (<see cref="ResetAsync"/>), read its flash regions with their state, version and
/// hash (<see cref="ReadRegionsAsync"/>), check that it holds and runs exactly a given image (<see cref="VerifyAsync"/>),
/// and make its application invalid so that its bootloader stays resident (<see cref="EraseApplicationAsync"/>).
/// What the application cannot answer (region hashes, the other bootloader copy) is read from the bootloader: the
/// device is taken into it with EnterBootloader and, when it had been running its application, restarted into that
/// application afterwards, with the restart rules of the updater (docs/updates.md section 3). Thread-safe; the same
/// <see cref="UpdateOptions"/> as <see cref="FirmwareUpdater"/> (timeouts, restart timing, the local pre-check's keys).
/// </summary>
public sealed partial class DeviceMaintenance
{
    /// <summary>Creates the operations for the devices of <paramref name="network"/>.</summary>
    /// <param name="network">The network the devices are on; not owned.</param>
    /// <param name="options">Timeouts, restart timing and the keys of the local pre-check; null takes the defaults. Checked here, once.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public DeviceMaintenance(DeviceNetwork network, UpdateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        Options = options ?? UpdateOptions.Default;
        Options.Validate();
    }

    /// <summary>The network the devices are on.</summary>
    public DeviceNetwork Network { get; }

    /// <summary>The settings.</summary>
    public UpdateOptions Options { get; }

    /// <summary>
    /// Restarts <paramref name="device"/> and waits until it answers again. <see cref="ResetMode.Normal"/>: the device
    /// forgets a stay request and starts its application when that is valid; a device whose bootloader stays for
    /// another reason (no valid application, an interrupted update, not provisioned) answers from its bootloader, and
    /// the result says why (<see cref="BootloaderStatus.StayReason"/>). <see cref="ResetMode.Bootloader"/>: the device
    /// persists a stay request without a deadline and restarts into its bootloader, where it waits until it is reset
    /// into its application or updated. The Reset is sent once per round (a resend could restart it twice).
    /// </summary>
    /// <param name="device">The device, as discovered (found again by its unique id if it moved).</param>
    /// <param name="mode">Into the application (<see cref="ResetMode.Normal"/>) or the bootloader.</param>
    /// <param name="cancellationToken">Stops waiting (the device restarts anyway once it answered).</param>
    /// <returns>The device as it answers after the restart.</returns>
    /// <exception cref="DeviceNotFoundException">The device did not answer again within <see cref="UpdateOptions.RestartTimeout"/>.</exception>
    /// <exception cref="MaintenanceFailedException">The device answers but did not restart as asked.</exception>
    public async Task<DeviceInfo> ResetAsync(DeviceInfo device, ResetMode mode = ResetMode.Normal, CancellationToken cancellationToken = default)
    {
        MaintenanceRun run = Start(device, "reset", cancellationToken);
        await run.ContactAsync().ConfigureAwait(false);
        if (mode == ResetMode.Bootloader)
        {
            await run.ResetIntoBootloaderAsync().ConfigureAwait(false);
            return run.Device;
        }
        if (!Enum.IsDefined(mode))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Reset into the application (Normal) or the bootloader.");
        return await run.StartApplicationAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the four flash regions of <paramref name="device"/> from its bootloader (GetStatus): each one's state,
    /// start, size, version and security counter, and with <paramref name="includeHashes"/> the SHA-256 of the whole
    /// region as stored (GetRegionHash over whole 1 KiB granules: payload, padding and the bootloader's trailer; equal
    /// on two devices whose regions hold the same bytes). A device running its application is taken into its bootloader
    /// for the reading and restarted into its application afterwards.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="includeHashes">Also hash every region (a region of 640 KB is hashed by the device in well under a second).</param>
    /// <param name="cancellationToken">Stops the reading; a device taken into its bootloader starts its application by itself after <see cref="UpdateOptions.EnterBootloaderWaitSeconds"/>.</param>
    /// <exception cref="DeviceNotFoundException">The device did not answer.</exception>
    /// <exception cref="MaintenanceFailedException">The device did not restart as asked.</exception>
    public async Task<DeviceRegions> ReadRegionsAsync(DeviceInfo device, bool includeHashes = false, CancellationToken cancellationToken = default)
    {
        MaintenanceRun run = Start(device, "reading the regions", cancellationToken);
        await run.ContactAsync().ConfigureAwait(false);
        bool wasRunningApplication = !run.Device.IsInBootloader;
        await run.EnsureBootloaderAsync().ConfigureAwait(false);
        BootloaderStatus status;
        var regions = new List<RegionReading>();
        try
        {
            status = await run.ReadStatusAsync().ConfigureAwait(false);
            foreach (RegionInfo region in status.Regions)
            {
                byte[]? hash = includeHashes && region.Size % HashGranule == 0 ? await run.HashAsync(region.Region, region.Size).ConfigureAwait(false) : null;
                regions.Add(new RegionReading(region.Region, region.State, region.Start, region.Size, region.Version, region.SecurityCounter, hash));
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await run.TryRestoreAsync().ConfigureAwait(false);
            throw;
        }
        DeviceInfo after = await run.RestoreAsync().ConfigureAwait(false);
        return new DeviceRegions(after, status, regions, wasRunningApplication, !after.IsInBootloader);
    }

    /// <summary>
    /// Checks that <paramref name="device"/> holds exactly <paramref name="image"/> and runs it: the region the image is
    /// linked for must be valid with the image's version and security counter, and the SHA-256 the device computes over
    /// the region's first payload-size bytes (GetRegionHash) must equal the manifest's payload hash; for an application
    /// image the application must run with that version, for a bootloader image its copy must be the running one. A
    /// device running its application is taken into its bootloader for the hash and restarted into its application.
    /// Nothing is written.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="image">The image file's content.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    /// <returns>What was found; <see cref="InstalledImageCheck.Matches"/> says whether the device holds and runs the image.</returns>
    /// <exception cref="UpdateRejectedException">A bootloader image linked for no bootloader copy of the device (it cannot hold it).</exception>
    /// <exception cref="DeviceNotFoundException">The device did not answer.</exception>
    /// <exception cref="MaintenanceFailedException">The device did not restart as asked.</exception>
    public async Task<InstalledImageCheck> VerifyAsync(DeviceInfo device, FirmwareImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        MaintenanceRun run = Start(device, "verifying", cancellationToken);
        await run.ContactAsync().ConfigureAwait(false);
        await run.EnsureBootloaderAsync().ConfigureAwait(false);
        ImageManifest manifest = image.Manifest;
        RegionInfo region;
        var problems = new List<string>();
        byte[]? stored = null;
        try
        {
            BootloaderStatus status = await run.ReadStatusAsync().ConfigureAwait(false);
            region = RegionFor(run.Device.Uid, status, manifest);
            if (region.State != RegionState.Valid)
                problems.Add($"{region.Region} holds no valid image ({region.State})");
            else
            {
                if (region.Version != manifest.Version)
                    problems.Add($"{region.Region} holds version {region.Version}, the image is {manifest.Version}");
                else if (region.SecurityCounter != manifest.SecurityCounter)
                    problems.Add($"{region.Region} holds version {region.Version} with security counter {region.SecurityCounter}, the image has {manifest.SecurityCounter}");
                // The hash is asked for even when the version differs: the report shows what the device holds.
                stored = manifest.PayloadSize <= region.Size ? await run.HashAsync(region.Region, manifest.PayloadSize).ConfigureAwait(false) : null;
                if (problems.Count > 0)
                {
                    // Already different; a payload of another size says nothing more.
                }
                else if (stored is null)
                    problems.Add($"{region.Region} holds an image of version {region.Version} with another payload size (the device hashes only its valid image's whole payload)");
                else if (!stored.AsSpan().SequenceEqual(manifest.PayloadSha256.Span))
                    problems.Add($"{region.Region} holds a payload with SHA-256 {Convert.ToHexString(stored).ToLowerInvariant()}, the image's is {Convert.ToHexString(manifest.PayloadSha256.Span).ToLowerInvariant()}");
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await run.TryRestoreAsync().ConfigureAwait(false);
            throw;
        }
        bool holds = problems.Count == 0;

        DeviceInfo after = await run.RestoreAsync().ConfigureAwait(false);
        bool runs;
        if (manifest.Kind == Images.ImageKind.Application)
        {
            runs = !after.IsInBootloader && after.ApplicationValid && after.ApplicationVersion == manifest.Version;
            if (holds && !runs)
                problems.Add(after.IsInBootloader
                    ? $"the device holds the image, but its bootloader runs ({after.Bootloader?.StayReason.ToString() ?? "resident"}); a reset into the application starts it"
                    : $"the device runs application {after.ApplicationVersion}");
        }
        else
        {
            RegionKind running = after.Bootloader?.RunningCopy ?? (after.ActiveBootloader == BootloaderSlot.B ? RegionKind.BootloaderB : RegionKind.BootloaderA);
            runs = running == region.Region && after.BootloaderVersion == manifest.Version;
            if (holds && !runs)
                problems.Add($"{region.Region} holds the image, but the pre-bootloader starts {running} ({after.BootloaderVersion})");
        }
        return new InstalledImageCheck(after.Uid, region.Region, region.State, region.Version, region.SecurityCounter, stored, manifest.PayloadSha256.ToArray(),
            holds, runs, problems.Count == 0 ? null : string.Join("; ", problems), after);
    }

    /// <summary>
    /// Makes the application of <paramref name="device"/> invalid so that its bootloader stays resident (to take a
    /// device out of service, or before a bench test of the bootloader), through the bootloader and with the rules of an
    /// update: the device erases only for an application image it accepts, so <paramref name="authorization"/> is such
    /// an image (signed by a key the device trusts, for its vendor, class, binding and security counter). The image is
    /// checked on the host first (<see cref="UpdateOptions.LocalPreCheck"/>, while the application still runs), then
    /// offered (BeginUpdate: the device checks it and erases the application's commit slots, and possibly more sectors
    /// ahead) and abandoned at once (AbortUpdate). No payload byte is written; the application never starts again until
    /// an update installs one.
    /// </summary>
    /// <param name="device">The device.</param>
    /// <param name="authorization">An application image the device accepts.</param>
    /// <param name="cancellationToken">Stops the erase; before BeginUpdate nothing was erased.</param>
    /// <returns>The device as its bootloader reports it afterwards (application region <see cref="RegionState.Invalid"/> or <see cref="RegionState.Empty"/>).</returns>
    /// <exception cref="UpdateRejectedException">The host or the device refused the image: nothing was erased, and a device taken into its bootloader runs its application again.</exception>
    /// <exception cref="DeviceNotFoundException">The device did not answer.</exception>
    /// <exception cref="MaintenanceFailedException">The device did not restart as asked, or its application is still valid afterwards.</exception>
    public async Task<DeviceInfo> EraseApplicationAsync(DeviceInfo device, FirmwareImage authorization, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        if (authorization.Manifest.Kind != Images.ImageKind.Application)
            throw new ArgumentException("The erase is authorised by an application image; this is a bootloader image.", nameof(authorization));
        MaintenanceRun run = Start(device, "erasing the application", cancellationToken);
        await run.ContactAsync().ConfigureAwait(false);
        if (Options.LocalPreCheck && LocalPreCheck.IsComplete(run.Device))
            LocalPreCheck.Check(run.Device, RegionKind.Application, authorization, Options);
        await run.EnsureBootloaderAsync().ConfigureAwait(false);
        try
        {
            if (Options.LocalPreCheck)
                LocalPreCheck.Check(run.Device, RegionKind.Application, authorization, Options);
            await run.OfferAndAbandonAsync(authorization).ConfigureAwait(false);
        }
        catch (UpdateRejectedException refusal) when (run.EnteredBootloader && !cancellationToken.IsCancellationRequested)
        {
            // Nothing was erased: the device goes back to what it did.
            try
            {
                DeviceInfo running = await run.StartApplicationAsync().ConfigureAwait(false);
                throw refusal.WithOutcome($"Nothing was erased; the device runs its application {running.ApplicationVersion} again.", applicationRestarted: !running.IsInBootloader);
            }
            catch (Exception ex) when (ex is not UpdateRejectedException and not OperationCanceledException)
            {
                throw refusal.WithOutcome($"Nothing was erased, but the application could not be restarted ({ex.Message}); the bootloader starts it by itself " +
                    $"{Options.EnterBootloaderWaitSeconds} s after the device entered it.", applicationRestarted: false);
            }
        }
        BootloaderStatus status = await run.ReadStatusAsync().ConfigureAwait(false);
        RegionInfo application = status.GetRegion(RegionKind.Application);
        if (application.State == RegionState.Valid)
            throw run.Failed($"the device accepted the image but its application region is still valid ({application.Version})");
        return run.Device;
    }

    /// <summary>The granule GetRegionHash answers for any range (docs/device-model.md section 6.6).</summary>
    private const uint HashGranule = 1024;

    private MaintenanceRun Start(DeviceInfo device, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new MaintenanceRun(Network, Options, device, operation, cancellationToken);
    }

    /// <summary>The region an image is linked for: the application, or the bootloader copy whose start is its load address.</summary>
    private static RegionInfo RegionFor(DeviceUid uid, BootloaderStatus status, ImageManifest manifest)
    {
        if (manifest.Kind == Images.ImageKind.Application)
            return status.GetRegion(RegionKind.Application);
        return status.Regions.FirstOrDefault(r => r.Region is RegionKind.BootloaderA or RegionKind.BootloaderB && r.Start == manifest.LoadAddress)
            ?? throw new UpdateRejectedException(uid, ImageRejection.WrongLoadAddress, $"The bootloader image is linked for 0x{manifest.LoadAddress:X8}, where the device has no bootloader copy " +
                $"(A at 0x{status.GetRegion(RegionKind.BootloaderA).Start:X8}, B at 0x{status.GetRegion(RegionKind.BootloaderB).Start:X8}).");
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

// REQ-UPD-BL: the bootloader through its two copies. A bootloader only writes the copy that does not run; the
// pre-bootloader starts the valid copy with the highest version (A on a tie).
internal sealed partial class UpdateRun
{
    private async Task<UpdateResult> RunBootloaderAttemptAsync()
    {
        // The device was just read (first contact, or found again after a fault).
        NoteVersionBefore(_device.BootloaderVersion);
        bool applicationWasValid = _device.ApplicationValid;

        // Fixed at the first contact, so a resume after the new copy took over still knows what was asked. Planned, and
        // the images checked, while the application still runs whenever the device reports its rules.
        if (_plan.Copies is null)
        {
            if (!_device.IsInBootloader && !LocalPreCheck.IsComplete(_device))
                await EnterBootloaderAsync().ConfigureAwait(false); // older firmware: only its bootloader says where the copies are
            if (await PlanCopiesAsync(applicationWasValid).ConfigureAwait(false) is { } finished)
                return finished;
        }
        if (!_device.IsInBootloader)
            await EnterBootloaderAsync().ConfigureAwait(false);

        RegionKind[] copies = _plan.Copies ?? throw new InvalidOperationException("The copies to write were not planned.");
        for (int index = 0; index < copies.Length; index++)
        {
            RegionKind copy = copies[index];
            _step = index + 1;
            BootloaderStatus status = _device.Bootloader!;
            RegionInfo region = status.GetRegion(copy);
            FirmwareImage image = _plan.ImageFor(region)!;
            using (BootloaderClient client = _network.CreateBootloaderClient(_device))
            {
                if (await HoldsAsync(client, region, image).ConfigureAwait(false))
                {
                    // Written before a fault (or already installed): only the switch to it may be left.
                    _legTotal = _legDone = image.Manifest.PayloadSize;
                    await SwitchToExpectedCopyAsync(status).ConfigureAwait(false);
                    continue;
                }
            }
            if (copy == status.RunningCopy)
            {
                // The copy to write runs: the pre-bootloader preferred it after the last reset. Only the other copy can
                // be written, so this cannot go on.
                throw Mismatch($"{copy} still runs and still needs its image, but a bootloader cannot write its own copy; " +
                    $"the pre-bootloader keeps starting {copy} ({status.GetRegion(copy).Version}) over {status.OtherCopy} ({status.GetRegion(status.OtherCopy).Version}).");
            }
            await WriteImageAsync(UpdateTarget.OtherBootloader, region.Region, image).ConfigureAwait(false);
            _device = await _network.RefreshAsync(_device, _ct).ConfigureAwait(false);
            await SwitchToExpectedCopyAsync(_device.Bootloader!).ConfigureAwait(false);
            if (!_plan.BothCopies && _device.Bootloader is { } now && now.RunningCopy != copy)
            {
                // Installed and valid, but the pre-bootloader keeps the other copy: what was asked (run the new
                // bootloader) did not happen. Put the device back to normal operation before saying so.
                RegionInfo kept = now.GetRegion(now.RunningCopy);
                Enter(UpdateStage.Confirming);
                UpdateFailedException failure = Mismatch($"{copy} now holds {image.Manifest.Version}, but the pre-bootloader keeps starting {now.RunningCopy} ({kept.Version}): " +
                    "it starts the valid copy with the highest version (A on a tie). Install a higher version to switch.");
                if (applicationWasValid)
                    (await ResetAsync(ResetMode.Normal).ConfigureAwait(false)).Dispose();
                throw failure;
            }
        }

        // Back to normal operation: the application starts when it is valid; a device without one waits in its bootloader.
        FirmwareVersion running;
        RegionKind runningCopy;
        if (applicationWasValid || _device.ApplicationValid)
        {
            DeviceInfo info = await StartApplicationAsync("the application to start under the new bootloader").ConfigureAwait(false);
            running = info.BootloaderVersion;
            runningCopy = SlotToRegion(info.ActiveBootloader);
        }
        else
        {
            Enter(UpdateStage.Confirming);
            running = _device.BootloaderVersion;
            runningCopy = _device.Bootloader!.RunningCopy;
        }
        CheckBothCopies();
        _legDone = _legTotal;
        Enter(UpdateStage.Done);
        return Result(UpdateTarget.OtherBootloader, running, runningCopy);
    }

    /// <summary>
    /// Decides which copies to write (the copy not running first) and checks their images. A one-copy update whose image
    /// is for the copy that runs is a finished update when that copy already holds exactly this image (an earlier call
    /// was stopped after the switch, at Confirming): the result is then returned (the application restarted when it was
    /// valid); otherwise it is refused, as an image that only the other copy could take.
    /// </summary>
    private async Task<UpdateResult?> PlanCopiesAsync(bool applicationWasValid)
    {
        RegionKind running = RunningCopyOf(_device);
        RegionKind other = running == RegionKind.BootloaderA ? RegionKind.BootloaderB : RegionKind.BootloaderA;
        if (!_plan.BothCopies && ImageForCopy(other) is null && ImageForCopy(running) is { } mine
            && (_device.Bootloader?.GetRegion(running).Version ?? _device.BootloaderVersion) == mine.Manifest.Version)
        {
            if (await RunsAlreadyAsync(running, mine).ConfigureAwait(false))
                return await FinishedAlreadyAsync(running, mine, applicationWasValid).ConfigureAwait(false);
        }
        RegionKind[] copies = _plan.BothCopies ? [other, running] : [other];
        uint counter = _device.Bootloader?.DeviceSecurityCounter ?? _device.SecurityCounter;
        foreach (RegionKind copy in copies)
        {
            FirmwareImage image = ImageForCopy(copy) ?? throw new UpdateRejectedException(_uid, ImageRejection.WrongLoadAddress,
                $"No image is linked for {copy} at 0x{RegionStart(copy):X8} (images: {string.Join(", ", _plan.Images.Select(i => $"0x{i.Manifest.LoadAddress:X8}"))}); " +
                (copy == other ? "that copy is the one not running, the only one the bootloader writes." : "updating both copies needs an image for each."));
            // The second copy is checked against the counter the first one raises it to.
            if (_options.LocalPreCheck && LocalPreCheck.IsComplete(_device))
                LocalPreCheck.Check(_device, copy, image, _options, minimumSecurityCounter: counter);
            counter = Math.Max(counter, image.Manifest.SecurityCounter);
        }
        _plan.Copies = copies;
        return null;
    }

    private FirmwareImage? ImageForCopy(RegionKind copy) => _plan.ImageFor(RegionStart(copy));

    /// <summary>Where <paramref name="copy"/> starts: from the device's rules (known in the application too), else from the bootloader's status.</summary>
    private uint RegionStart(RegionKind copy) =>
        _device.Rules?.For(copy).Start ?? _device.Bootloader?.GetRegion(copy).Start
        ?? throw Mismatch("The device reported neither its update rules nor its bootloader's regions.");

    /// <summary>True when the running copy holds exactly <paramref name="image"/> (its payload hash; asked in the bootloader).</summary>
    private async Task<bool> RunsAlreadyAsync(RegionKind running, FirmwareImage image)
    {
        if (!_device.IsInBootloader)
            await EnterBootloaderAsync().ConfigureAwait(false);
        using BootloaderClient client = _network.CreateBootloaderClient(_device);
        return _device.Bootloader!.RunningCopy == running && await HoldsAsync(client, _device.Bootloader.GetRegion(running), image).ConfigureAwait(false);
    }

    /// <summary>The update asked for is done already: back to normal operation and the result.</summary>
    private async Task<UpdateResult> FinishedAlreadyAsync(RegionKind running, FirmwareImage image, bool applicationWasValid)
    {
        _plan.Copies = [];
        _legTotal = _legDone = image.Manifest.PayloadSize;
        FirmwareVersion version = image.Manifest.Version;
        if (applicationWasValid || _device.ApplicationValid)
        {
            DeviceInfo info = await StartApplicationAsync("the application to start under the installed bootloader").ConfigureAwait(false);
            version = info.BootloaderVersion;
            running = SlotToRegion(info.ActiveBootloader);
        }
        else
        {
            Enter(UpdateStage.Confirming);
        }
        Enter(UpdateStage.Done);
        return Result(UpdateTarget.OtherBootloader, version, running);
    }

    /// <summary>
    /// Restarts the bootloader and waits until the copy the pre-bootloader must now prefer runs: the valid copy with
    /// the highest version, A on a tie. Confirms it runs with that version.
    /// </summary>
    private async Task SwitchToExpectedCopyAsync(BootloaderStatus before)
    {
        RegionKind expected = ExpectedRunningCopy(before);
        if (before.RunningCopy == expected)
            return;
        FirmwareVersion expectedVersion = before.GetRegion(expected).Version;
        // A lost Reset leaves the old copy answering (a link reopened after a power cut): asked again, as for the
        // application; a pre-bootloader that really keeps the old copy still fails after the last request.
        DeviceInfo info = await RestartUntilAsync(ResetMode.Bootloader,
            d => d.Bootloader is { } s && s.RunningCopy == expected,
            d => d.Bootloader is { } s && s.RunningCopy == before.RunningCopy,
            $"bootloader copy {expected} to start").ConfigureAwait(false);
        if (info.BootloaderVersion != expectedVersion)
            throw Mismatch($"Bootloader copy {expected} runs version {info.BootloaderVersion}, not the installed {expectedVersion}.");
    }

    /// <summary>What the pre-bootloader starts: the valid copy with the highest version, A on a tie.</summary>
    private static RegionKind ExpectedRunningCopy(BootloaderStatus status)
    {
        RegionInfo a = status.GetRegion(RegionKind.BootloaderA);
        RegionInfo b = status.GetRegion(RegionKind.BootloaderB);
        bool aValid = a.State == RegionState.Valid || status.RunningCopy == RegionKind.BootloaderA;
        bool bValid = b.State == RegionState.Valid || status.RunningCopy == RegionKind.BootloaderB;
        if (aValid && bValid)
            return b.Version > a.Version ? RegionKind.BootloaderB : RegionKind.BootloaderA;
        return bValid ? RegionKind.BootloaderB : RegionKind.BootloaderA;
    }

    /// <summary>Both copies must hold their images at the end of a two-copy update (the last switch already confirmed which runs).</summary>
    private void CheckBothCopies()
    {
        if (!_plan.BothCopies || _device.Bootloader is not { } status)
            return;
        foreach (RegionKind copy in _plan.Copies!)
        {
            RegionInfo region = status.GetRegion(copy);
            FirmwareImage image = _plan.ImageFor(region)!;
            if (region.State != RegionState.Valid || region.Version != image.Manifest.Version)
                throw Mismatch($"{copy} is {region.State} with version {region.Version}; {image.Manifest.Version} was installed.");
        }
    }
}

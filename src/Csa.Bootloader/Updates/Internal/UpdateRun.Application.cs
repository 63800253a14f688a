using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

// REQ-UPD-APP: application in field, from a running application (or a resident bootloader).
internal sealed partial class UpdateRun
{
    private async Task<UpdateResult> RunApplicationAttemptAsync()
    {
        FirmwareImage image = _plan.Images[0];
        // The device was just read (first contact, or found again after a fault).
        NoteVersionBefore(_device.ApplicationValid ? _device.ApplicationVersion : null);
        // The application ran at this attempt's contact: no update session can be in progress (the application region is
        // valid, and a session on it would have marked it invalid), so there is nothing to resume and the first writes
        // may follow BeginUpdate without waiting for its answer (docs/updates.md section 3.1).
        bool fromApplication = !_device.IsInBootloader;
        if (fromApplication)
        {
            // Everything the application can tell (identity, counter, the bootloader's rules) is checked before the
            // device leaves its application: a refused image costs it no time out of service.
            if (_options.LocalPreCheck && LocalPreCheck.IsComplete(_device))
                LocalPreCheck.Check(_device, RegionKind.Application, image, _options);
            // On a chain shared with other devices updated at once: in turn (ChainTurns).
            if (_turns is not null)
                await _turns.BeforeEnterAsync(_uid, _ct).ConfigureAwait(false);
            await EnterBootloaderAsync(overlapRead: MayOverlapBootloaderRead(_device)).ConfigureAwait(false);
        }
        _turns?.EnterRequested(_uid);
        _turns?.Back(_uid);

        await WriteImageAsync(UpdateTarget.Application, RegionKind.Application, image, writesBehindBegin: fromApplication).ConfigureAwait(false);

        // On a chain the devices restart in turn, from the end of the chain (ChainTurns): the members of a transfer to a
        // group together, a device of a batch written by itself once those behind it have verified theirs. A member of a
        // group that ended up written by itself takes no turn.
        if (_turns is not null && (_multicast || _turns.WrittenByItself(_uid)))
        {
            _turns.Verified(_uid);
            await _turns.BeforeRestartAsync(_uid, _ct).ConfigureAwait(false);
        }
        else
        {
            _turns?.Leave(_uid);
        }
        DeviceInfo running = await StartApplicationAsync("the new application to start").ConfigureAwait(false);
        if (!running.ApplicationValid || running.ApplicationVersion != image.Manifest.Version)
            throw Mismatch($"The device runs application {running.ApplicationVersion} ({(running.ApplicationValid ? "valid" : "not valid")}), not the installed {image.Manifest.Version}.");
        _legDone = _legTotal;
        Enter(UpdateStage.Done);
        return Result(UpdateTarget.Application, running.ApplicationVersion, SlotToRegion(running.ActiveBootloader));
    }
}

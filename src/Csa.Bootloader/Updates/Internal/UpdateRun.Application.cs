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
        if (!_device.IsInBootloader)
        {
            // Everything the application can tell (identity, counter, the bootloader's rules) is checked before the
            // device leaves its application: a refused image costs it no time out of service.
            if (_options.LocalPreCheck && LocalPreCheck.IsComplete(_device))
                LocalPreCheck.Check(_device, RegionKind.Application, image, _options);
            await EnterBootloaderAsync().ConfigureAwait(false);
        }

        BootloaderStatus status = _device.Bootloader!;
        await WriteImageAsync(UpdateTarget.Application, status.GetRegion(RegionKind.Application), image).ConfigureAwait(false);

        DeviceInfo running = await StartApplicationAsync("the new application to start").ConfigureAwait(false);
        if (!running.ApplicationValid || running.ApplicationVersion != image.Manifest.Version)
            throw Mismatch($"The device runs application {running.ApplicationVersion} ({(running.ApplicationValid ? "valid" : "not valid")}), not the installed {image.Manifest.Version}.");
        _legDone = _legTotal;
        Enter(UpdateStage.Done);
        return Result(UpdateTarget.Application, running.ApplicationVersion, SlotToRegion(running.ActiveBootloader));
    }
}

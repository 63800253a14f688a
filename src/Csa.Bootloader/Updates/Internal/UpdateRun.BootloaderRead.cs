using Csa.Bootloader.Protocol;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

// The bootloader's read that goes out together with BeginUpdate (docs/updates.md section 3.1): once the bootloader has
// announced that it runs, from the device's own address, the host no longer waits a round trip for its answers before
// it offers the image.
internal sealed partial class UpdateRun
{
    /// <summary>The bootloader's read in flight after EnterBootloader, not waited for before BeginUpdate; null otherwise.</summary>
    private Task<DeviceInfo>? _bootloaderRead;

    /// <summary>
    /// Whether BeginUpdate may go out before the bootloader's read has answered: in the application flow, with the image
    /// checked before the device left its application against everything that check needs (its rules), and the device's
    /// link not re-addressed since it was read, so the bootloader that announces itself from its address is this device.
    /// </summary>
    private bool MayOverlapBootloaderRead(DeviceInfo application) =>
        _plan.Target == UpdateTarget.Application
        && (!_options.LocalPreCheck || LocalPreCheck.IsComplete(application))
        && _network.AddressesUnchangedSince(application);

    /// <summary>True for the states a bootloader announces when it starts: waiting for an update, or in the middle of one.</summary>
    private static bool IsBootloaderState(DeviceState? state) => state is DeviceState.WaitingForUpdate or DeviceState.Updating;

    /// <summary>
    /// Starts reading the bootloader that announced itself (versions and capabilities: its status would wait behind the
    /// erase BeginUpdate starts); BeginUpdate goes out before the answers arrive.
    /// </summary>
    private void StartBootloaderRead()
    {
        ForgetBootloaderRead();
        _bootloaderRead = _network.ReadStartedBootloaderAsync(_device, _ct);
    }

    /// <summary>
    /// Waits for the bootloader's read that went out with BeginUpdate and takes it as the device's state (its receive
    /// buffers and packet size size the writes). Nothing to do when no read is in flight.
    /// </summary>
    private async Task TakeBootloaderReadAsync()
    {
        if (_bootloaderRead is not { } read)
            return;
        _bootloaderRead = null;
        DeviceInfo info = await read.ConfigureAwait(false);
        _device = info;
        if (!info.IsInBootloader)
            throw new DeviceNotFoundException(_uid, info.Address, $"Device {_uid} announced its bootloader, but its application answers: it restarted again.");
    }

    /// <summary>Drops a bootloader read no longer waited for (a fault it ends with is observed, not thrown).</summary>
    private void ForgetBootloaderRead()
    {
        if (Interlocked.Exchange(ref _bootloaderRead, null) is { } read)
        {
            _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

public sealed class ResumeTests
{
    private static UpdateOptions ResumeOptions(int maxResumes = 10)
    {
        UpdateOptions options = Rig.FastOptions();
        options = options with { Retry = options.Retry with { Attempts = 2 } }; // a device without power is noticed after 2 x 1.5 s
        options = options with { MaxResumeAttempts = maxResumes };
        return options;
    }

    /// <summary>Starts <paramref name="fault"/> once when the device has acknowledged <paramref name="atBytes"/>.</summary>
    private static ProgressLog FaultAt(long atBytes, Func<Task> fault)
    {
        int fired = 0;
        return new ProgressLog(p =>
        {
            // Started on the reporting thread: the fault's synchronous start (the device falls silent, the cable's host
            // half is gone) happens before the next write can complete.
            if (p.Stage == UpdateStage.Transferring && p.BytesDone >= atBytes && Interlocked.Exchange(ref fired, 1) == 0)
                _ = fault();
        });
    }

    [Theory]
    [InlineData(FlashFamily.Stm32L4, 80_000, 40_000)]
    [InlineData(FlashFamily.Stm32F4, 170_000, 140_000)]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Power_cut_mid_transfer_the_same_call_resumes_from_what_the_device_holds(FlashFamily family, int size, int cutAt)
    {
        DeviceProfile profile = DeviceKit.Profile(5, family);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), ResumeOptions());
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: size, counter: 2);
        using var supply = new PowerSupply(device);
        // What the device holds: the committed prefix its bootloader will read from its journal when the power comes back,
        // taken from a copy of the flash while the device is off (the live device races the host once it is on).
        long heldAtPowerOn = -1;
        device.StateChanged += (_, change) =>
        {
            // Off after the cut (a reset on the way into the bootloader also passes through Off, with no cut).
            if (change.Current != VirtualDeviceState.Off || device.Flash.Statistics.PowerCuts == 0 || Interlocked.Read(ref heldAtPowerOn) >= 0)
                return;
            var twin = new DeviceFirmware(profile, device.Flash.Clone(), TimeProvider.System);
            twin.Boot();
            Interlocked.Exchange(ref heldAtPowerOn, twin.Inventory.BytesCommitted);
        };
        ProgressLog log = FaultAt(cutAt, device.CutPowerAsync);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, log, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.True(result.ResumeCount >= 1, $"{result.ResumeCount} resumes");
        Assert.True(Interlocked.Read(ref heldAtPowerOn) > 0, "the device kept a committed prefix across the power cut");
        // The same call resumed from exactly what the device held, and sent the rest from there.
        UpdateProgress secondStart = log.Reports.First(r => r.ResumeCount >= 1 && r.Stage == UpdateStage.Erasing && r.BytesResumed > 0);
        Assert.Equal(Interlocked.Read(ref heldAtPowerOn), secondStart.BytesResumed);
        Assert.Equal(secondStart.BytesResumed, secondStart.BytesDone);
        Assert.All(log.Reports.SkipWhile(r => r != secondStart).Where(r => r.Stage == UpdateStage.Transferring),
            r => Assert.InRange(r.BytesDone, secondStart.BytesResumed, image.Payload.Length));
        Assert.Equal(VirtualDeviceState.Application, device.State);
        Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.True(device.Flash.Statistics.PowerCuts >= 1);
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Power_cut_mid_transfer_the_devices_announcement_resumes_the_update_not_the_writes_timeouts(FlashFamily family)
    {
        // The writes in flight when the power went are never answered. Their timeout is made longer than the guard, so
        // the update can only finish if the host noticed the device's return from its own announcement (StateChanged
        // from an unassigned node; this device sends no heartbeats) and resumed at once.
        DeviceProfile profile = DeviceKit.Profile(10, family);
        UpdateOptions options = ResumeOptions();
        options = options with { Retry = options.Retry with { Timeout = TimeSpan.FromSeconds(30), Attempts = 1 }, EraseTimeout = TimeSpan.Zero };
        var logged = new Csa.Bootloader.Tests.Faults.CapturedLog();
        options = options with { LoggerFactory = logged };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), options);
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 100_000, counter: 2);
        using var supply = new PowerSupply(device);
        ProgressLog log = FaultAt(40_000, device.CutPowerAsync);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, log, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(1, result.ResumeCount);
        string resumed = Assert.Single(logged.Entries, e => e.Contains("resume attempt", StringComparison.Ordinal));
        Assert.Contains("lost its power and is back", resumed);
        Assert.DoesNotContain("RpcTimeoutException", resumed);
        Assert.True(result.BytesResumed >= 40_000 - 16 * 1024, $"{result.BytesResumed} bytes resumed");
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Power_cut_without_retry_policy_fails_typed_then_calling_again_resumes()
    {
        DeviceProfile profile = DeviceKit.Profile(6, FlashFamily.Stm32L4);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), ResumeOptions(maxResumes: 0));
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 80_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();
        ProgressLog first = FaultAt(20_000, device.CutPowerAsync); // early: with erase-ahead no write waits for an erase, so the rest goes fast

        var failure = await Assert.ThrowsAsync<UpdateFailedException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, first, guard.Token));

        Assert.Equal(UpdateStage.Transferring, failure.Stage);
        Assert.True(failure.InnerException is Csa.Rpc.RpcTimeoutException or Csa.DataLink.DataLinkException, failure.InnerException?.GetType().Name);
        Assert.Equal(VirtualDeviceState.Off, device.State);

        // Power back: the bootloader stays resident because an update is in progress, never the old application.
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerOnAsync(guard.Token));
        Assert.Equal(StayReason.UpdateInProgress, device.Firmware.Inventory.StayReason);
        uint committed = device.Firmware.Inventory.BytesCommitted;
        Assert.True(committed > 0);

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(committed, (uint)result.BytesResumed);
        Assert.Equal(image.Payload.Length - committed, result.BytesSent);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Link_lost_mid_transfer_is_reopened_and_the_update_continues()
    {
        DeviceProfile profile = DeviceKit.Profile(7, FlashFamily.Stm32L4);
        await using Rig rig = await Rig.StarAsync(2, i => DeviceKit.Device(i == 0 ? profile : DeviceKit.Profile(8, FlashFamily.Stm32L4)), ResumeOptions());
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 80_000, counter: 2);
        ProgressLog log = FaultAt(40_000, () => rig.UnplugAsync(0));
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.InfoOf(rig.Virtual[0]), image, log, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.True(result.ResumeCount >= 1);
        // The device kept its power and its session: it resumes from the live prefix.
        Assert.True(result.BytesResumed >= 32_000, $"{result.BytesResumed} bytes resumed");
        Assert.True(result.BytesSent < image.Payload.Length + 16_000, $"{result.BytesSent} bytes sent");
        Assert.Equal(2, rig.PlugCount(0)); // the network plugged a new host half in
        // The other device of the star was never disturbed.
        Assert.Equal(VirtualDeviceState.Application, rig.Virtual[1].State);
        DeviceInfo other = await rig.Network.RefreshAsync(rig.InfoOf(rig.Virtual[1]), guard.Token);
        Assert.Equal(rig.InfoOf(rig.Virtual[1]).Address, other.Address);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Power_cut_during_bootloader_update_resumes_and_the_new_copy_runs()
    {
        DeviceProfile profile = DeviceKit.Profile(9, FlashFamily.Stm32L4);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), ResumeOptions());
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage copyB = DeviceKit.Image(profile, RegionKind.BootloaderB, DeviceKit.V2, size: 60_000, counter: 1);
        using var supply = new PowerSupply(device);
        ProgressLog log = FaultAt(36_000, device.CutPowerAsync);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result;
        try
        {
            result = await rig.Updater.UpdateBootloaderAsync(rig.Devices[0], copyB, false, log, guard.Token);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nDevice {device.State} ({device.StateReason}), address {device.Address}\n" + string.Join("\n", log.Reports.TakeLast(8)));
        }

        Assert.Equal(RegionKind.BootloaderB, result.RunningBootloader);
        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.True(result.ResumeCount >= 1);
        Assert.True(result.BytesResumed > 0);
        Assert.Equal(RegionKind.BootloaderB, device.Firmware.Inventory.RunningBootloader);
        Assert.Equal(VirtualDeviceState.Application, device.State);
    }
}

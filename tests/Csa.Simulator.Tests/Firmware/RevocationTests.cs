using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// The target of an update is "being rewritten, not bootable" from BeginUpdate's journal record on, decided by the
/// journal alone and not by how far an erase has come (docs/device-model.md sections 5.1 and 6.3): these devices run
/// without erase-ahead, so after BeginUpdate the old image is still intact in flash, trailer and payload, and must
/// still never be started or reported valid, after a reset, after AbortUpdate, and after an unrelated update.
/// </summary>
public sealed class RevocationTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task After_BeginUpdate_the_intact_old_application_is_invalid_across_a_reset_and_an_abort(FlashFamily family)
    {
        DeviceProfile profile = Profile(family, eraseAhead: false);
        (DeviceFirmware firmware, SimulatedFlash flash) = await InBootloaderAsync(profile);
        long erases = flash.Statistics.SectorErases;
        await BeginAsync(Client(firmware), UpdateTarget.Application, Image(profile, RegionKind.Application, V(2), size: 20_000, counter: 2)).WaitAsync(HangGuard);
        Assert.Equal(erases, flash.Statistics.SectorErases); // nothing erased: the old trailer and payload are intact
        Assert.Equal(RegionState.Updating, firmware.Inventory[RegionKind.Application].State);

        BootDecision reset = firmware.Boot(); // a reset right after BeginUpdate
        Assert.False(reset.StartApplication);
        Assert.Equal(StayReason.UpdateInProgress, reset.StayReason);
        Assert.Null(reset.ApplicationVersion);
        Assert.Equal(RegionState.Updating, StateAfterBoot(firmware, RegionKind.Application)); // the journal's update

        await Client(firmware).AbortUpdateAsync().WaitAsync(HangGuard);
        BootDecision afterAbort = firmware.Boot();
        Assert.False(afterAbort.StartApplication); // AbortUpdate leaves the target invalid, whatever the flash holds
        Assert.Equal(StayReason.NoValidApplication, afterAbort.StayReason);
        Assert.Equal(RegionState.Invalid, StateAfterBoot(firmware, RegionKind.Application));
        Assert.Equal(erases, flash.Statistics.SectorErases);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task An_aborted_application_stays_invalid_through_a_bootloader_update_and_a_new_application_makes_it_valid()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4, eraseAhead: false);
        (DeviceFirmware firmware, _) = await InBootloaderAsync(profile);
        BootloaderClient client = Client(firmware);
        await BeginAsync(client, UpdateTarget.Application, Image(profile, RegionKind.Application, V(2), size: 20_000, counter: 2)).WaitAsync(HangGuard);
        await client.AbortUpdateAsync().WaitAsync(HangGuard);

        await UpdateAsync(client, UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderB, V(1, 1), size: 20_000, counter: 2)).WaitAsync(HangGuard);
        BootDecision boot = firmware.Boot();
        Assert.Equal(RegionKind.BootloaderB, boot.RunningBootloader);
        Assert.Equal(StayReason.NoValidApplication, boot.StayReason);

        FirmwareImage v3 = Image(profile, RegionKind.Application, V(3), size: 20_000, counter: 3);
        await UpdateAsync(Client(firmware), UpdateTarget.Application, v3).WaitAsync(HangGuard);
        BootDecision done = firmware.Boot();
        Assert.True(done.StartApplication);
        Assert.Equal(V(3), done.ApplicationVersion);
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_commit_whose_Complete_record_was_cut_stays_valid_when_the_next_update_targets_another_region(FlashFamily family)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = await InBootloaderAsync(profile);
        BootloaderClient client = Client(firmware);
        FirmwareImage v2 = Image(profile, RegionKind.Application, V(2), size: 20_000, counter: 2);
        BeginUpdateResponse begin = await BeginAsync(client, UpdateTarget.Application, v2).WaitAsync(HangGuard);
        for (int offset = 0; offset < v2.Payload.Length; offset += begin.MaxWriteSize)
            await client.WriteAsync((uint)offset, v2.Payload.Slice(offset, Math.Min(begin.MaxWriteSize, v2.Payload.Length - offset)).ToArray());
        using (var guard = new CancellationTokenSource(HangGuard))
        {
            while (firmware.Bootloader.IsErasingAhead)
                await Task.Delay(5, guard.Token); // the trailer is erased: the commit is slot body, marker, Complete record
        }
        flash.ArmPowerCut(PowerCutPlan.BeforeOperation(2));
        await Assert.ThrowsAsync<PowerLossException>(() => client.FinishUpdateAsync().WaitAsync(HangGuard));

        flash.PowerOn();
        var rebooted = new DeviceFirmware(profile, flash, TimeProvider.System);
        BootDecision boot = rebooted.Boot();
        Assert.Equal(V(2), boot.ApplicationVersion); // the commit marker landed: the new image is valid
        Assert.Equal(StayReason.Requested, boot.StayReason); // the request the Complete record would have cleared

        // The host updates the other bootloader copy: the journal moves on to another target, and the committed
        // application must not lose its validity with it.
        await UpdateAsync(Client(rebooted), UpdateTarget.OtherBootloader, Image(profile, RegionKind.BootloaderB, V(1, 1), size: 20_000, counter: 2)).WaitAsync(HangGuard);
        await rebooted.ClearBootloaderRequestAsync(CancellationToken.None);
        BootDecision after = rebooted.Boot();
        Assert.Equal(RegionKind.BootloaderB, after.RunningBootloader);
        Assert.True(after.StartApplication);
        Assert.Equal(V(2), after.ApplicationVersion);
    }

    private static RegionState StateAfterBoot(DeviceFirmware firmware, RegionKind region) => firmware.Inventory[region].State;

    private static async Task<(DeviceFirmware, SimulatedFlash)> InBootloaderAsync(DeviceProfile profile)
    {
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        Assert.False(firmware.Boot().StartApplication);
        return (firmware, flash);
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// Erase-ahead (docs/device-model.md 6.4.1): BeginUpdate erases nothing before it answers (its journal record marks the
/// region as being rewritten), and the bootloader erases the sectors the payload needs, then the trailer's, in the background. Power cuts inside those background erases, and between them, must
/// leave a device that boots its bootloader and resumes to the new image, on a strict flash.
/// </summary>
public sealed class EraseAheadTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public static TheoryData<FlashFamily, UpdateTarget, int, TornEraseStyle> TornFirstErase()
    {
        var data = new TheoryData<FlashFamily, UpdateTarget, int, TornEraseStyle>();
        foreach (TornEraseStyle style in Enum.GetValues<TornEraseStyle>())
        {
            data.Add(FlashFamily.Stm32F4, UpdateTarget.Application, 140_000, style);
            data.Add(FlashFamily.Stm32F4, UpdateTarget.OtherBootloader, 30_000, style); // its one sector holds payload and trailer
            data.Add(FlashFamily.Stm32L4, UpdateTarget.Application, 37_000, style);
            data.Add(FlashFamily.Stm32L4, UpdateTarget.OtherBootloader, 40_000, style);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TornFirstErase))]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_cut_in_the_first_background_erase_comes_after_the_BeginUpdate_answer_and_the_retry_installs_the_image(
        FlashFamily family, UpdateTarget target, int size, TornEraseStyle style)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = await InBootloaderAsync(profile);
        FirmwareImage image = ImageFor(profile, target, size);

        // Operation 0 is BeginUpdate's journal record, its only flash operation before the answer; the next one is the
        // first erase of a payload sector, which runs in the background.
        const int firstBackground = 1;
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(firstBackground, seed: (int)style + size, style));
        BeginUpdateResponse begin = await BeginAsync(Client(firmware), target, image).WaitAsync(HangGuard);
        Assert.Equal(0u, begin.ResumeOffset); // answered: the erase it started had not landed yet
        await WaitForPowerLossAsync(flash);

        await RecoverAndInstallAsync(profile, flash, target, image);
    }

    [Theory]
    [InlineData(FlashFamily.Stm32L4, 2)] // L4: BeginUpdate's record, then background erases from operation 1
    [InlineData(FlashFamily.Stm32L4, 10)]
    [InlineData(FlashFamily.Stm32L4, 21)] // after the 19 payload pages and the trailer's first page
    [InlineData(FlashFamily.Stm32F4, 2)] // F4: record, the first payload sector, then the second
    [InlineData(FlashFamily.Stm32F4, 3)] // the trailer's sector, after the payload's two
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_cut_before_a_later_background_erase_while_no_write_has_arrived_yet_is_resumed(FlashFamily family, int operation)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = await InBootloaderAsync(profile);
        FirmwareImage image = ImageFor(profile, UpdateTarget.Application, family == FlashFamily.Stm32F4 ? 140_000 : 37_000);

        long erasesBefore = flash.Statistics.SectorErases;
        flash.ArmPowerCut(PowerCutPlan.BeforeOperation(operation));
        await BeginAsync(Client(firmware), UpdateTarget.Application, image).WaitAsync(HangGuard);
        await WaitForPowerLossAsync(flash); // nothing but the eraser touches the flash now
        // Operation 0 was BeginUpdate's journal record; 1 .. operation - 1 were background erases (payload, then trailer).
        Assert.Equal(operation - 1, flash.Statistics.SectorErases - erasesBefore);

        await RecoverAndInstallAsync(profile, flash, UpdateTarget.Application, image);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Without_writes_the_eraser_erases_every_payload_sector_and_writes_then_program_without_erasing()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4);
        (DeviceFirmware firmware, SimulatedFlash flash) = await InBootloaderAsync(profile);
        FirmwareImage image = ImageFor(profile, UpdateTarget.Application, 37_000);
        MemoryRegion region = profile.MemoryMap.Application;
        long RegionErases() => region.Sectors.Sum(sector => (long)flash.GetEraseCycles(sector.Index));
        long erasesBefore = RegionErases();

        long aheadBefore = firmware.Bootloader.SectorsErasedAhead;
        await BeginAsync(Client(firmware), UpdateTarget.Application, image).WaitAsync(HangGuard);
        using var guard = new CancellationTokenSource(HangGuard);
        while (firmware.Bootloader.IsErasingAhead)
            await Task.Delay(5, guard.Token);
        // The 19 pages of 2 KB that 37 000 bytes need, then the trailer area's 2 pages, all erased in the background.
        long erased = RegionErases() - erasesBefore;
        Assert.Equal(19 + TrailerSectors(profile, UpdateTarget.Application), erased);
        Assert.Equal(erased, firmware.Bootloader.SectorsErasedAhead - aheadBefore);

        BootloaderClient client = Client(firmware);
        for (int offset = 0; offset < image.Payload.Length; offset += 4096)
            await client.WriteAsync((uint)offset, image.Payload.Slice(offset, Math.Min(4096, image.Payload.Length - offset)).ToArray());
        await client.FinishUpdateAsync();
        Assert.Equal(erased, RegionErases() - erasesBefore); // no write and no commit erased anything more in the region
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
    }

    // A factory device whose application asked for the bootloader (EnterBootloader), restarted.
    private static async Task<(DeviceFirmware, SimulatedFlash)> InBootloaderAsync(DeviceProfile profile)
    {
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        Assert.False(firmware.Boot().StartApplication);
        return (firmware, flash);
    }

    private static int TrailerSectors(DeviceProfile profile, UpdateTarget target)
    {
        MemoryRegion region = target == UpdateTarget.Application ? profile.MemoryMap.Application : profile.MemoryMap.BootloaderB;
        return region.Sectors.Count(sector => sector.EndAddress > Csa.Simulator.Firmware.Internal.ImageTrailer.AreaAddress(region));
    }

    private static FirmwareImage ImageFor(DeviceProfile profile, UpdateTarget target, int size) => target == UpdateTarget.OtherBootloader
        ? Image(profile, RegionKind.BootloaderB, V(1, 1), size: size, counter: 2)
        : Image(profile, RegionKind.Application, V(2), size: size, counter: 2);

    private static async Task WaitForPowerLossAsync(SimulatedFlash flash)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (flash.IsPowered)
            await Task.Delay(5, guard.Token);
    }

    private static async Task RecoverAndInstallAsync(DeviceProfile profile, SimulatedFlash flash, UpdateTarget target, FirmwareImage image)
    {
        flash.PowerOn();
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        BootDecision boot = firmware.Boot();
        Assert.False(boot.IsBricked);
        Assert.Equal(RegionKind.BootloaderA, boot.RunningBootloader);
        if (target == UpdateTarget.Application)
            Assert.False(boot.StartApplication); // the old application lost part of its payload: the bootloader stays

        BootloaderClient client = Client(firmware);
        GetStatusResponse status = await client.GetStatusAsync().WaitAsync(HangGuard);
        Assert.Equal(UpdatePhase.Receiving, status.Phase);
        await UpdateAsync(client, target, image).WaitAsync(HangGuard);

        BootDecision after = firmware.Boot();
        if (target == UpdateTarget.Application)
        {
            Assert.True(after.StartApplication);
            Assert.Equal(V(2), after.ApplicationVersion);
        }
        else
        {
            Assert.Equal(RegionKind.BootloaderB, after.RunningBootloader);
            Assert.Equal(V(1, 1), firmware.Inventory[RegionKind.BootloaderB].Version);
        }
    }
}

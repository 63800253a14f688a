using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Firmware.Internal;
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

    // The receive path as the eraser reads it (docs/device-model.md 6.4.1): `into` bytes of a frame have arrived since
    // the last packet for the device was taken.
    private static ReceivePathState Line(long into) => new(CommandsWaiting: 0, BytesReceived: 100_000 + into, BytesAtLastPacket: 100_000);

    [Theory]
    [InlineData(false)] // the line goes on into the frame: the eraser waits for a command that starts as its packet arrives
    [InlineData(true)] // the line goes idle (nothing more arrives): nothing is gained by waiting
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task After_commands_that_waited_in_the_buffers_the_eraser_starts_no_erase_while_a_frame_is_partway_in(bool lineGoesIdle)
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, SimulatedFlash flash) = await InBootloaderAsync(profile);
        FirmwareImage image = ImageFor(profile, UpdateTarget.Application, 20_000); // sector 7, then the trailer's sector 11
        BootloaderService bootloader = firmware.Bootloader;
        long ahead = bootloader.SectorsErasedAhead;
        int trailerErases = flash.GetEraseCycles(11);
        // Each command starts with half of the next frame in (it waited in the receive buffers while the line went on).
        ReceivePathState line = Line(profile.MaxFrameSize / 2);
        bootloader.ReceivePath = () => line;

        await BeginAsync(Client(firmware), UpdateTarget.Application, image).WaitAsync(HangGuard);
        await EraserDoneAsync(bootloader);
        Assert.Equal(ahead, bootloader.SectorsErasedAhead); // an erase now would cover the line with a window less half a frame

        if (lineGoesIdle)
        {
            // The next write starts as the others did, and then the line stands idle: the eraser erases behind it (the
            // write erased sector 7 on its first touch; the eraser erases the trailer's sector ahead).
            int reads = 0;
            bootloader.ReceivePath = () => Interlocked.Increment(ref reads) == 1 ? line : Line(0);
            await Client(firmware).WriteAsync(0, image.Payload[..1024].ToArray()).WaitAsync(HangGuard);
        }
        else
        {
            await Client(firmware).WriteAsync(0, image.Payload[..1024].ToArray()).WaitAsync(HangGuard);
            await EraserDoneAsync(bootloader);
            Assert.Equal(ahead, bootloader.SectorsErasedAhead); // sector 7 erased by the write itself, nothing ahead
            Assert.Equal(trailerErases, flash.GetEraseCycles(11));
            // The next write starts as its packet arrives (the line 16 bytes into the frame behind it): the eraser
            // erases right behind it, with the host's whole window still to arrive.
            line = Line(16);
            await Client(firmware).WriteAsync(1024, image.Payload[1024..2048].ToArray()).WaitAsync(HangGuard);
        }
        await EraserDoneAsync(bootloader);
        Assert.Equal(ahead + 1, bootloader.SectorsErasedAhead);
        Assert.Equal(trailerErases + 1, flash.GetEraseCycles(11));
    }

    private static async Task EraserDoneAsync(BootloaderService bootloader)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (bootloader.IsErasingAhead)
            await Task.Delay(5, guard.Token);
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

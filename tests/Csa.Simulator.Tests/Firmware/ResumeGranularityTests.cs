using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// How much of the transfer a power cut costs (docs/device-model.md 6.4): the device persists its watermark at
/// least every <see cref="BootloaderService.CheckpointInterval"/> bytes (16 KiB at most, less for a small receive
/// window), at any 16-byte boundary, not only at sector boundaries; after the cut it continues inside the sector that
/// holds the watermark by comparing what is there, never programming a unit twice. An F4 128 KB sector used to cost
/// up to the whole sector.
/// </summary>
public sealed class ResumeGranularityTests
{
    private const int Chunk = 1024;

    public static TheoryData<FlashFamily, int, int> Cuts() => new()
    {
        { FlashFamily.Stm32F4, 300_000, 200_000 }, // inside the application's second 128 KB sector
        { FlashFamily.Stm32F4, 140_000, 60_000 },  // inside the first
        { FlashFamily.Stm32L4, 100_000, 61_000 },
    };

    [Theory]
    [MemberData(nameof(Cuts))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_power_cut_mid_sector_costs_at_most_one_checkpoint_of_what_the_device_held_and_nothing_is_programmed_twice(
        FlashFamily family, int size, int cutAt)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: size);
        BootloaderClient client = Client(firmware);
        await BeginAsync(client, UpdateTarget.Application, image);
        uint held = 0;
        for (int offset = 0; offset < cutAt; offset += Chunk)
            held = (await client.WriteAsync((uint)offset, Slice(image, offset))).BytesCommitted;

        flash.CutPower();
        flash.PowerOn();
        Assert.Equal(StayReason.UpdateInProgress, firmware.Boot().StayReason);
        BeginUpdateResponse resumed = await BeginAsync(Client(firmware), UpdateTarget.Application, image);

        Assert.InRange(resumed.ResumeOffset, 0u, held);
        Assert.True(held - resumed.ResumeOffset <= 16 * 1024, $"the device held {held} bytes and resumes from {resumed.ResumeOffset}");
        Assert.True(held - resumed.ResumeOffset < firmware.Bootloader.CheckpointInterval + Chunk,
            $"held {held}, resumed {resumed.ResumeOffset}, checkpoint interval {firmware.Bootloader.CheckpointInterval}");
        await FinishFromAsync(Client(firmware), image, resumed.ResumeOffset);
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
        Assert.Equal(0, flash.Statistics.ReprogrammedUnits);
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4, 200_000, 0.5)]
    [InlineData(FlashFamily.Stm32F4, 200_000, 0.02)]
    [InlineData(FlashFamily.Stm32L4, 61_000, 0.5)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_program_torn_by_the_cut_inside_the_watermarks_sector_is_erased_with_its_sector_never_programmed_over(
        FlashFamily family, int cutAt, double fraction)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 300_000);
        BootloaderClient client = Client(firmware);
        await BeginAsync(client, UpdateTarget.Application, image);
        int offset = 0;
        for (; offset < cutAt; offset += Chunk)
            await client.WriteAsync((uint)offset, Slice(image, offset));
        // The next write's program is torn: some of its units got part of their bits.
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: cutAt, TornEraseStyle.PartiallyErasedBits, fraction));
        await Assert.ThrowsAsync<PowerLossException>(() => client.WriteAsync((uint)offset, Slice(image, offset)));
        flash.PowerOn();
        firmware.Boot();

        // What a host does: offer the image again, send from the resume offset, finish; start again where the device says.
        for (int attempt = 0; ; attempt++)
        {
            BootloaderClient again = Client(firmware);
            BeginUpdateResponse resumed = await BeginAsync(again, UpdateTarget.Application, image);
            try
            {
                await FinishFromAsync(again, image, resumed.ResumeOffset);
                break;
            }
            catch (RpcErrorException e) when (attempt < 2 && BootloaderInterface.TryGetError(e, out BootloaderError code) && code == BootloaderError.Incomplete)
            {
                // The torn sector was erased again: its committed part must be sent again.
            }
        }
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
        Assert.Equal(0, flash.Statistics.ReprogrammedUnits);
    }

    private static byte[] Slice(FirmwareImage image, int offset) =>
        image.Payload.Slice(offset, Math.Min(Chunk, image.Payload.Length - offset)).ToArray();

    private static async Task FinishFromAsync(BootloaderClient client, FirmwareImage image, uint from)
    {
        for (int offset = (int)from; offset < image.Payload.Length; offset += Chunk)
            await client.WriteAsync((uint)offset, Slice(image, offset));
        await client.FinishUpdateAsync();
    }
}

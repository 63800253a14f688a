using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// A host that goes away (its process killed, its TCP connection dropped) cancels the commands it sent, but a flash
/// controller cannot abort an operation, and firmware does not forget one it started: a Write whose program
/// completed counts as written whatever happens to its answer, so the resend of the same block after the host came
/// back is compared, never programmed a second time (L4: PROGERR over a programmed double word).
/// </summary>
public sealed class AbandonedCommandTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(FlashFamily.Stm32L4)]
    [InlineData(FlashFamily.Stm32F4)]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_write_whose_host_went_away_during_its_program_counts_as_written_and_its_resend_programs_nothing(FlashFamily family)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        DeviceProfile profile = Profile(family, eraseAhead: false);
        var flash = new SimulatedFlash(profile.MemoryMap.Geometry, new SimulatedFlashOptions
        {
            TimeProvider = time,
            TimingProfile = FlashTimingProfile.Typical,
            UniqueId = TestFlash.Uid,
            OverwritePolicy = ProgramOverwritePolicy.RejectAnyReprogram,
            ProgramSize = family == FlashFamily.Stm32F4 ? FlashProgramSize.Word : FlashProgramSize.DoubleWord,
        });
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)), application: null);
        var firmware = new DeviceFirmware(profile, flash, time);
        firmware.Boot();
        BootloaderClient client = Client(firmware);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 20_000);
        await DriveAsync(time, BeginAsync(client, UpdateTarget.Application, image));

        byte[] block = image.Payload[..4096].ToArray();
        long programsBefore = flash.Statistics.ProgramOperations;
        using var host = new CancellationTokenSource();
        Task abandoned = client.WriteAsync(new WriteRequest(0, block), null, host.Token);
        // The first write erases its sector, then programs: the host goes away while the program is in progress.
        await AdvanceUntilAsync(time, () => flash.Statistics.ProgramOperations > programsBefore && flash.IsBusy);
        await host.CancelAsync();
        // Whatever the host hears (nothing), the device finishes the command it started.
        await AdvanceUntilAsync(time, () => abandoned.IsCompleted);
        long programsAfterAbandon = flash.Statistics.ProgramOperations;
        long duplicatesBefore = firmware.Bootloader.DuplicateBlocks;

        // The host is back: it offers the same image again and resends from where the device says.
        BeginUpdateResponse resumed = await DriveAsync(time, BeginAsync(client, UpdateTarget.Application, image));
        Assert.Equal(4096u, resumed.ResumeOffset);
        WriteResponse resent = await DriveAsync(time, client.WriteAsync(new WriteRequest(0, block)));

        Assert.Equal(4096u, resent.BytesCommitted);
        Assert.Equal(programsAfterAbandon, flash.Statistics.ProgramOperations); // compared, not programmed
        Assert.Equal(duplicatesBefore + (4096 / BootloaderService.WriteAlignment), firmware.Bootloader.DuplicateBlocks);
        for (int offset = 4096; offset < image.Payload.Length; offset += 4096)
            await DriveAsync(time, client.WriteAsync(new WriteRequest((uint)offset, image.Payload.Slice(offset, Math.Min(4096, image.Payload.Length - offset)).ToArray())));
        await DriveAsync(time, client.FinishUpdateAsync());
        Assert.Equal(V(2), firmware.Boot().ApplicationVersion);
        Assert.Equal(0, flash.Statistics.ReprogrammedUnits);
    }

    private static async Task<T> DriveAsync<T>(FakeTimeProvider time, Task<T> task)
    {
        await AdvanceUntilAsync(time, () => task.IsCompleted);
        return await task;
    }

    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!done())
        {
            guard.Token.ThrowIfCancellationRequested();
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Delay(1, guard.Token);
        }
    }
}

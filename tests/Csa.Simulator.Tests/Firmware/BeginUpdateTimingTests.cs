using System.Globalization;
using System.Text.RegularExpressions;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// What BeginUpdate of a new image costs in flash time before its answer, as docs/performance.md section 1 states it
/// for the F4 at the datasheet's typical timing: the journal record, nothing else (no erase: the record itself makes the
/// old image invalid). Device time (the flash's busy time on a fake clock), never wall-clock time.
/// </summary>
public sealed partial class BeginUpdateTimingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task On_an_F4_with_typical_timing_BeginUpdate_answers_after_its_journal_record_alone_as_performance_md_says()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        var flash = TestFlash.Timed(profile.MemoryMap.Geometry, clock, FlashTimingProfile.Typical);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)), application: Image(profile, RegionKind.Application, V(1)));
        var firmware = new DeviceFirmware(profile, flash, clock);
        await DriveAsync(clock, firmware.RequestBootloaderAsync(0, CancellationToken.None));
        Assert.False(firmware.Boot().StartApplication);
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: 200_000);
        FlashStatistics before = flash.Statistics;
        long trailerErasesBefore = flash.GetEraseCycles(TrailerSector(profile));

        // The clock stops moving as soon as the answer is there, so a background erase the eraser starts after the answer
        // cannot complete and add its time: what the statistics gained is what BeginUpdate did before answering.
        BeginUpdateResponse begin = await DriveAsync(clock, BeginAsync(Client(firmware), UpdateTarget.Application, image));
        FlashStatistics after = flash.Statistics;

        Assert.Equal(0u, begin.ResumeOffset);
        // Nothing was erased before the answer: the trailer's 128 KB sector (11) still holds the old slot (the eraser
        // reaches it after the payload's sectors; an erase it starts after the answer may be counted as started, but it
        // cannot have finished: its time is not in BusyTime). RevocationTests show the old image is invalid all the same.
        Assert.Equal(trailerErasesBefore, flash.GetEraseCycles(TrailerSector(profile)));
        TimeSpan busy = after.BusyTime - before.BusyTime;
        Assert.InRange(busy, TimeSpan.FromTicks(1), DocumentedBeginUpdateTime());
    }

    private static int TrailerSector(DeviceProfile profile) =>
        profile.MemoryMap.Application.Sectors.Single(sector => sector.EndAddress > Csa.Simulator.Firmware.Internal.ImageTrailer.AreaAddress(profile.MemoryMap.Application)).Index;

    /// <summary>Advances the fake clock in small steps until <paramref name="task"/> has finished (the device's timers fire as it moves).</summary>
    private static async Task<T> DriveAsync<T>(FakeTimeProvider clock, Task<T> task)
    {
        await DriveAsync(clock, (Task)task);
        return await task;
    }

    private static async Task DriveAsync(FakeTimeProvider clock, Task task)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!task.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMilliseconds(5));
            await Task.Delay(1, guard.Token);
        }
        await task;
    }

    /// <summary>The "BeginUpdate erases nothing before it answers (at most N ms" bound of docs/performance.md section 1.</summary>
    private static TimeSpan DocumentedBeginUpdateTime()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "performance.md"));
        Match m = BeginUpdateStatement().Match(doc);
        Assert.True(m.Success, "docs/performance.md section 1 no longer states how long BeginUpdate takes before it answers");
        return TimeSpan.FromMilliseconds(double.Parse(m.Groups["high"].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"BeginUpdate erases nothing before it answers \(at most (?<high>\d+(\.\d+)?) ms")]
    private static partial Regex BeginUpdateStatement();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return dir.FullName;
        }
        throw new FileNotFoundException("Csa.sln not found above the test directory.");
    }
}

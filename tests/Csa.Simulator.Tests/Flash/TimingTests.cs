using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

/// <summary>Operation durations charged in virtual time: nothing here looks at the wall clock.</summary>
public class TimingTests
{
    [Fact]
    public async Task Erasing_a_128_KB_F4_sector_completes_only_after_one_second_typical()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        flash.Program(0x08020000, new byte[4]);
        flash.ResetStatistics();

        Task erase = flash.EraseSectorAsync(5);
        Assert.Equal([0], flash.BusyBanks);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(erase.IsCompleted);
        Assert.Equal(0u, flash.ReadUInt32(0x08020000)); // the erase lands when it ends
        time.Advance(TimeSpan.FromMilliseconds(1));
        await erase.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08020000));
        Assert.Empty(flash.BusyBanks);
        Assert.Equal(TimeSpan.FromSeconds(1), flash.Statistics.BusyTime);
    }

    [Theory]
    [InlineData(0, FlashTimingProfile.Typical, 250)]
    [InlineData(4, FlashTimingProfile.Typical, 550)]
    [InlineData(11, FlashTimingProfile.Typical, 1000)]
    [InlineData(0, FlashTimingProfile.WorstCase, 800)]
    [InlineData(4, FlashTimingProfile.WorstCase, 2400)]
    [InlineData(11, FlashTimingProfile.WorstCase, 4000)]
    public async Task F4_sector_erase_times_follow_the_datasheet(int sector, FlashTimingProfile profile, int milliseconds)
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time, profile);
        Task erase = flash.EraseSectorAsync(sector);
        time.Advance(TimeSpan.FromMilliseconds(milliseconds) - TimeSpan.FromTicks(1));
        Assert.False(erase.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        await erase.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task F4_word_programs_take_16_us_each_typical_and_100_us_worst_case()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        Task program = flash.ProgramAsync(0x08020000, new byte[64 * 1024]); // 16384 words: 262.144 ms
        time.Advance(TimeSpan.FromMilliseconds(261));
        Assert.False(program.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1)); // timers resolve whole ms; the 0.144 ms rest is carried
        await program.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMicroseconds(262_144), flash.Statistics.BusyTime);

        var worst = Timed(FlashGeometry.Stm32F4_1M, new FakeTimeProvider(), FlashTimingProfile.WorstCase);
        worst.Program(0x08020000, new byte[256]);
        Assert.Equal(TimeSpan.FromMicroseconds(6400), worst.Statistics.BusyTime);
    }

    [Fact]
    public async Task Sub_millisecond_programs_add_up_exactly_in_virtual_time()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        DateTimeOffset start = time.GetUtcNow();
        for (int i = 0; i < 1000; i++)
        {
            Task program = flash.ProgramAsync(0x08020000 + (uint)(4 * i), new byte[4]); // 16 us each
            if (!program.IsCompleted)
                time.Advance(TimeSpan.FromMilliseconds(1));
            await program.WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Equal(TimeSpan.FromMilliseconds(16), time.GetUtcNow() - start); // 1000 x 16 us, no rounding drift
        Assert.Equal(TimeSpan.FromMilliseconds(16), flash.Statistics.BusyTime);
    }

    [Fact]
    public void L4_figures_follow_DS10198()
    {
        var flash = Timed(FlashGeometry.Stm32L4_1M, new FakeTimeProvider());
        flash.EraseSector(0);
        Assert.Equal(TimeSpan.FromMicroseconds(22_020), flash.Statistics.BusyTime);
        flash.ResetStatistics();
        flash.Program(0x08000000, new byte[80]); // 10 double words of 81.7 us (81.69 rounded to 100 ns ticks)
        Assert.Equal(TimeSpan.FromTicks(8_170), flash.Statistics.BusyTime);
        FlashTiming l4 = FlashTiming.For(FlashFamily.Stm32L4);
        Assert.Equal(TimeSpan.FromMicroseconds(24_470), l4.Erase(flash.Geometry.Sectors[0], FlashTimingProfile.WorstCase));
        Assert.Equal(TimeSpan.FromTicks(908), l4.ProgramUnit(FlashTimingProfile.WorstCase));
    }

    [Fact]
    public void Synchronous_operations_only_accumulate_busy_time()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        DateTimeOffset before = time.GetUtcNow();
        flash.EraseSector(1);
        flash.EraseSector(5);
        flash.Program(0x08004000, new byte[8]);
        Assert.Equal(before, time.GetUtcNow());
        Assert.Equal(TimeSpan.FromMilliseconds(1250) + TimeSpan.FromMicroseconds(32), flash.Statistics.BusyTime);
        Assert.Equal((3L, 2L, 1L), (flash.Statistics.OperationCount, flash.Statistics.SectorErases, flash.Statistics.ProgramOperations));
    }

    [Fact]
    public async Task The_controller_is_busy_during_an_operation_and_the_busy_bank_is_the_target_bank()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32L4_1M, time);
        Task erase = flash.EraseSectorAsync(300); // bank 2, 22.02 ms
        Assert.True(flash.IsBusy);
        Assert.True(flash.IsBankBusy(1));
        Assert.False(flash.IsBankBusy(0));
        ThrowsFlash(FlashError.Busy, () => flash.Program(0x08000000, new byte[8]));

        Task queued = flash.EraseSectorAsync(0); // stalls until the first erase ends, like the bus on BSY
        time.Advance(TimeSpan.FromMilliseconds(22));
        await erase.WaitAsync(TimeSpan.FromSeconds(30));
        for (int i = 0; i < 100 && !flash.IsBankBusy(0); i++)
            await Task.Delay(10); // the queued caller resumes on the thread pool (real time, a hang guard only)
        Assert.True(flash.IsBankBusy(0));
        Assert.False(queued.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(23));
        await queued.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(flash.IsBusy);
        Assert.Equal(2, flash.Statistics.SectorErases);
        flash.Program(0x08000000, new byte[8]);
    }

    [Fact]
    public async Task Cancelling_the_wait_still_lands_the_operation_like_the_hardware()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        using var cts = new CancellationTokenSource();
        Task program = flash.ProgramAsync(0x08020000, new byte[64 * 1024], cts.Token);
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08020000)); // not landed yet: 262 ms to go
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => program.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(new byte[64 * 1024], flash.ReadBytes(0x08020000, 64 * 1024));
        Assert.False(flash.IsBusy);
    }

    [Fact]
    public async Task Instant_profile_takes_no_time()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        await flash.EraseSectorAsync(11).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.Zero, flash.Statistics.BusyTime);
    }

    [Fact]
    public void F4_mass_erase_takes_8_s_per_bank_typical()
    {
        var flash = Timed(FlashGeometry.Stm32F4_2M, new FakeTimeProvider());
        flash.MassErase();
        Assert.Equal(TimeSpan.FromSeconds(16), flash.Statistics.BusyTime);
    }
}

using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

[Trait("Requirement", "REQ-RECOVER")]
public class PowerCutTests
{
    // A sample sequence touching two sectors: erase, programs, a reprogram to zero, another erase.
    private static void Sequence(SimulatedFlash flash, uint a, uint b, int sectorA, int sectorB)
    {
        flash.EraseSector(sectorA);
        flash.Program(a, Filled(64, 0x5A));
        flash.Program(a + 64, Filled(32, 0xC3));
        flash.Program(a + 64, new byte[8]);
        flash.EraseSector(sectorB);
        flash.Program(b, Filled(16, 0x0F));
    }

    public static TheoryData<string> Geometries => new() { "STM32F4-1M", "STM32L4-1M" };

    private static (SimulatedFlash Flash, uint A, uint B, int SA, int SB) Setup(string name)
    {
        var flash = Create(FlashGeometry.FindByName(name)!);
        bool f4 = flash.Geometry.Family == FlashFamily.Stm32F4;
        int sa = f4 ? 1 : 8, sb = f4 ? 2 : 9;
        // Pre-existing content in both sectors, so erases have something to tear.
        flash.Program(flash.Geometry.Sectors[sa].Address + 512, Filled(64, 0x00));
        flash.Program(flash.Geometry.Sectors[sb].Address, Filled(256, 0x81));
        flash.ResetStatistics();
        return (flash, flash.Geometry.Sectors[sa].Address, flash.Geometry.Sectors[sb].Address, sa, sb);
    }

    private static byte[] Snapshot(SimulatedFlash flash, int sa, int sb) =>
        [.. flash.ReadRaw(flash.Geometry.Sectors[sa].Address, flash.Geometry.Sectors[sa].Size),
         .. flash.ReadRaw(flash.Geometry.Sectors[sb].Address, flash.Geometry.Sectors[sb].Size)];

    // The state after each prefix of the sequence, from an uninterrupted run on a clone.
    private static List<byte[]> ReferenceStates(string name, out int operations)
    {
        var (flash, a, b, sa, sb) = Setup(name);
        var states = new List<byte[]> { Snapshot(flash, sa, sb) };
        var steps = new Action[]
        {
            () => flash.EraseSector(sa), () => flash.Program(a, Filled(64, 0x5A)), () => flash.Program(a + 64, Filled(32, 0xC3)),
            () => flash.Program(a + 64, new byte[8]), () => flash.EraseSector(sb), () => flash.Program(b, Filled(16, 0x0F)),
        };
        flash.ResetStatistics();
        foreach (Action step in steps)
        {
            step();
            states.Add(Snapshot(flash, sa, sb));
        }
        operations = (int)flash.Statistics.OperationCount;
        return states;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void An_uninterrupted_run_counts_every_erase_and_program(string name)
    {
        ReferenceStates(name, out int operations);
        Assert.Equal(6, operations);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Cut_before_every_operation_leaves_exactly_the_state_before_it(string name)
    {
        List<byte[]> reference = ReferenceStates(name, out int operations);
        for (int n = 0; n < operations; n++)
        {
            var (flash, a, b, sa, sb) = Setup(name);
            flash.ArmPowerCut(PowerCutPlan.BeforeOperation(n));
            Assert.Throws<PowerLossException>(() => Sequence(flash, a, b, sa, sb));
            Assert.False(flash.IsPowered);
            Assert.Throws<PowerLossException>(() => flash.ReadBytes(a, 4));
            Assert.Throws<PowerLossException>(() => flash.EraseSector(sa));
            flash.PowerOn();
            Assert.Equal(reference[n], Snapshot(flash, sa, sb));
            Assert.Equal(n, flash.Statistics.OperationCount);
            Assert.Equal(1, flash.Statistics.PowerCuts);
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Cut_during_every_operation_leaves_a_state_between_before_and_after(string name)
    {
        List<byte[]> reference = ReferenceStates(name, out int operations);
        for (int n = 0; n < operations; n++)
        {
            for (int seed = 0; seed < 8; seed++)
            {
                var (flash, a, b, sa, sb) = Setup(name);
                flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(n, seed));
                Assert.Throws<PowerLossException>(() => Sequence(flash, a, b, sa, sb));
                flash.PowerOn();
                byte[] now = Snapshot(flash, sa, sb), before = reference[n], after = reference[n + 1];
                bool erase = n is 0 or 4;
                for (int i = 0; i < now.Length; i++)
                {
                    // A program only clears bits it was asked to clear; an erase only sets bits it was asked to set.
                    int changed = now[i] ^ before[i];
                    int allowed = before[i] ^ after[i];
                    Assert.True((changed & ~allowed) == 0, $"op {n} seed {seed} byte {i}: {before[i]:X2} -> {now[i]:X2}, complete {after[i]:X2}");
                    Assert.True(erase ? (now[i] & ~before[i]) == changed : (before[i] & ~now[i]) == changed);
                }
            }
        }
    }

    [Fact]
    public void A_torn_L4_double_word_raises_ECCD_until_erased_or_zeroed()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        const uint page = 0x08010000;
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 3, fraction: 0.5)); // 4 double words: cut in the third
        Assert.Throws<PowerLossException>(() => flash.Program(page, Filled(32, 0x00)));
        flash.PowerOn();
        Assert.Equal(new byte[16], flash.ReadBytes(page, 16));              // double words 0-1 landed
        Assert.Equal(Filled(8, 0xFF), flash.ReadBytes(page + 24, 8));       // double word 3 untouched
        Assert.True(flash.IsEccBroken(page + 16));
        var e = ThrowsFlash(FlashError.EccDoubleError, () => flash.ReadBytes(page + 8, 16));
        Assert.Equal(page + 16, e.Address);
        Assert.NotEqual(new byte[8], flash.ReadRaw(page + 16, 8));           // raw read bypasses ECC: a partial value
        flash.Program(page + 16, new byte[8]);                              // all zeros: allowed and heals the ECC
        Assert.Equal(new byte[8], flash.ReadBytes(page + 16, 8));
    }

    [Fact]
    public void A_torn_L4_double_word_is_repaired_by_erasing_its_page()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 11));
        Assert.Throws<PowerLossException>(() => flash.Program(0x08000800, Filled(8, 0x12)));
        flash.PowerOn();
        ThrowsFlash(FlashError.EccDoubleError, () => flash.ReadBytes(0x08000800, 8));
        flash.EraseSector(1);
        Assert.Equal(Filled(8, 0xFF), flash.ReadBytes(0x08000800, 8));
        flash.Program(0x08000800, Filled(8, 0x12));
    }

    [Fact]
    public void F4_has_no_ECC_so_a_torn_word_reads_as_a_partial_value()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 5));
        Assert.Throws<PowerLossException>(() => flash.Program(0x08020000, Bytes(0x00, 0x00, 0x00, 0x00)));
        flash.PowerOn();
        Assert.False(flash.IsEccBroken(0x08020000));
        uint value = flash.ReadUInt32(0x08020000);
        Assert.NotEqual(0xFFFFFFFFu, value); // seed 5 lands some bits, not all
        Assert.NotEqual(0u, value);
    }

    [Theory]
    [InlineData(TornEraseStyle.ErasedPrefix)]
    [InlineData(TornEraseStyle.RandomContent)]
    [InlineData(TornEraseStyle.PartiallyErasedBits)]
    public void Interrupted_erase_leaves_the_requested_kind_of_damage(TornEraseStyle style)
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08004000, new byte[16 * 1024]);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 7, style, fraction: 0.25));
        Assert.Throws<PowerLossException>(() => flash.EraseSector(1));
        flash.PowerOn();
        byte[] sector = flash.ReadBytes(0x08004000, 16 * 1024);
        Assert.Equal(1, flash.GetEraseCycles(1));
        switch (style)
        {
            case TornEraseStyle.ErasedPrefix:
                Assert.All(sector[..4096], b => Assert.Equal(0xFF, b));
                Assert.All(sector[4096..], b => Assert.Equal(0x00, b));
                break;
            default:
                Assert.Contains(sector, b => b != 0xFF);
                Assert.Contains(sector, b => b != 0x00);
                break;
        }
    }

    [Fact]
    public void Interrupted_L4_page_erase_breaks_the_ECC_of_changed_double_words()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(0x08001000, new byte[2048]);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 1, TornEraseStyle.ErasedPrefix, fraction: 0.5));
        Assert.Throws<PowerLossException>(() => flash.EraseSector(2));
        flash.PowerOn();
        Assert.Equal(Filled(1024, 0xFF), flash.ReadBytes(0x08001000, 1024)); // erased half: clean
        Assert.Equal(new byte[1024], flash.ReadBytes(0x08001400, 1024));     // untouched half: still valid

        var random = Create(FlashGeometry.Stm32L4_1M);
        random.Program(0x08001000, new byte[2048]);
        random.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 1, TornEraseStyle.PartiallyErasedBits));
        Assert.Throws<PowerLossException>(() => random.EraseSector(2));
        random.PowerOn();
        ThrowsFlash(FlashError.EccDoubleError, () => random.ReadBytes(0x08001000, 2048));
    }

    [Fact]
    public void The_plan_counts_from_arming_and_fires_once()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08020000, new byte[4]);
        flash.ArmPowerCut(PowerCutPlan.BeforeOperation(1));
        flash.Program(0x08020004, new byte[4]);
        Assert.Throws<PowerLossException>(() => flash.Program(0x08020008, new byte[4]));
        flash.PowerOn();
        flash.Program(0x08020008, new byte[4]);
        flash.Program(0x0802000C, new byte[4]);
        Assert.Equal(0u, flash.ReadUInt32(0x0802000C));
    }

    [Fact]
    public void Refused_operations_do_not_consume_the_plan()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.ArmPowerCut(PowerCutPlan.BeforeOperation(0));
        ThrowsFlash(FlashError.Alignment, () => flash.Program(0x08020001, new byte[4]));
        Assert.Throws<PowerLossException>(() => flash.Program(0x08020000, new byte[4]));
    }

    [Fact]
    public void Same_plan_same_tear()
    {
        byte[] Run()
        {
            var flash = Create(FlashGeometry.Stm32F4_1M);
            flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 42));
            Assert.Throws<PowerLossException>(() => flash.Program(0x08020000, new byte[1024]));
            return flash.ReadRaw(0x08020000, 1024);
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public async Task An_explicit_cut_in_virtual_time_tears_the_running_erase()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        flash.Program(0x08020000, new byte[128 * 1024]);
        flash.ResetStatistics();
        Task erase = flash.EraseSectorAsync(5);
        time.Advance(TimeSpan.FromMilliseconds(500));
        flash.CutPower();
        await Assert.ThrowsAsync<PowerLossException>(() => erase.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Throws<PowerLossException>(() => flash.ReadBytes(0x08020000, 4));
        flash.PowerOn();
        byte[] sector = flash.ReadBytes(0x08020000, 128 * 1024);
        Assert.Contains(sector, b => b != 0x00); // partly erased
        Assert.Contains(sector, b => b != 0xFF); // not finished
        Assert.Equal(TimeSpan.FromMilliseconds(500), flash.Statistics.BusyTime);
        Assert.False(flash.IsBusy);
    }

    [Fact]
    public async Task A_planned_cut_during_an_async_program_fires_part_way_in_virtual_time()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 9, fraction: 0.5));
        Task program = flash.ProgramAsync(0x08020000, new byte[40_000]); // 10000 words, 160 ms
        time.Advance(TimeSpan.FromMilliseconds(79));
        Assert.False(program.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.ThrowsAsync<PowerLossException>(() => program.WaitAsync(TimeSpan.FromSeconds(30)));
        flash.PowerOn();
        Assert.Equal(new byte[20_000], flash.ReadBytes(0x08020000, 20_000));              // words 0-4999 landed
        Assert.Equal(Filled(19_996, 0xFF), flash.ReadBytes(0x08020000 + 20_004, 19_996)); // words 5001-9999 untouched
        Assert.Equal(TimeSpan.FromMilliseconds(80), flash.Statistics.BusyTime);
    }

    [Fact]
    public void A_cut_during_an_option_byte_program_keeps_the_old_option_bytes()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 1));
        Assert.Throws<PowerLossException>(() => flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithWriteProtection(0)));
        flash.PowerOn();
        Assert.Equal(FlashOptionBytes.Factory, flash.OptionBytes);
    }

    [Fact]
    public void A_cut_during_a_mass_erase_leaves_earlier_sectors_erased_and_later_ones_untouched()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        foreach (FlashSector sector in flash.Geometry.Sectors)
            flash.Program(sector.Address, new byte[16]);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 4, TornEraseStyle.ErasedPrefix, fraction: 0.5)); // in sector 6
        Assert.Throws<PowerLossException>(() => flash.MassErase());
        flash.PowerOn();
        for (int i = 0; i < 12; i++)
        {
            byte[] head = flash.ReadBytes(flash.Geometry.Sectors[i].Address, 16);
            Assert.Equal(i < 6 ? Filled(16, 0xFF) : new byte[16], head);
            Assert.Equal(1, flash.GetEraseCycles(i));
        }
    }

    [Fact]
    public async Task A_caller_queued_behind_a_running_operation_gets_the_power_loss_too()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        Task erase = flash.EraseSectorAsync(5);
        Task queued = flash.ProgramAsync(0x08000000, new byte[4]);
        time.Advance(TimeSpan.FromMilliseconds(10));
        flash.CutPower();
        await Assert.ThrowsAsync<PowerLossException>(() => erase.WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<PowerLossException>(() => queued.WaitAsync(TimeSpan.FromSeconds(30)));
        flash.PowerOn();
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08000000));
        Assert.Equal(1, flash.Statistics.OperationCount);
    }

    [Fact]
    public void Cutting_power_while_idle_keeps_the_content()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08020000, Bytes(1, 2, 3, 4));
        flash.CutPower();
        flash.CutPower();
        Assert.Equal(1, flash.Statistics.PowerCuts);
        flash.PowerOn();
        Assert.Equal(0x04030201u, flash.ReadUInt32(0x08020000));
    }

    [Fact]
    public void Clone_is_an_independent_powered_copy()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(0x08000000, Filled(8, 0x77));
        flash.CutPower();
        SimulatedFlash copy = flash.Clone();
        Assert.True(copy.IsPowered);
        Assert.Equal(Filled(8, 0x77), copy.ReadBytes(0x08000000, 8));
        copy.EraseSector(0);
        Assert.Equal(Filled(8, 0x77), flash.ReadRaw(0x08000000, 8));
        Assert.Equal(flash.UniqueId, copy.UniqueId);
    }
}

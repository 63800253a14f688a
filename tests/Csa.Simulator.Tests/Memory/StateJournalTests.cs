using System.Text;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Memory;

[Trait("Requirement", "REQ-RECOVER")]
public class StateJournalTests
{
    private static byte[] PayloadFor(uint sequence, int max) =>
        Encoding.ASCII.GetBytes($"state {sequence:D6} " + new string((char)('a' + (int)(sequence % 26)), 64))[..Math.Min(max, 40)];

    [Fact]
    public void An_erased_journal_has_no_record_and_the_first_append_is_sequence_1()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        var journal = new StateJournal(flash, MemoryMap.Stm32F4_1M);
        Assert.Null(journal.ReadLatest());
        JournalRecord record = journal.Append("hello"u8);
        Assert.Equal(1u, record.Sequence);
        Assert.Equal(0x08004000u, record.Address);
        JournalRecord read = journal.ReadLatest()!;
        Assert.Equal((1u, "hello"), (read.Sequence, Encoding.ASCII.GetString(read.Payload.Span)));
    }

    [Theory]
    [InlineData("STM32F4-1M")]
    [InlineData("STM32L4-1M")]
    public void Appends_fill_one_region_then_move_to_the_other_erasing_it_first(string geometry)
    {
        var flash = Create(FlashGeometry.FindByName(geometry)!, ProgramOverwritePolicy.RejectAnyReprogram);
        MemoryMap map = MemoryMap.For(flash.Geometry)!;
        var journal = new StateJournal(flash, map, slotSize: 512);
        int slots = journal.SlotsPerRegion;
        for (uint s = 1; s <= (uint)(3 * slots) + 1; s++)
        {
            JournalRecord r = journal.Append(PayloadFor(s, journal.MaxPayloadSize));
            MemoryRegion expected = ((s - 1) / (uint)slots % 2) == 0 ? map.StateJournalA : map.StateJournalB;
            Assert.True(expected.Contains(r.Address), $"record {s} at 0x{r.Address:X8}");
            Assert.Equal(s, journal.ReadLatest()!.Sequence);
            Assert.Equal(PayloadFor(s, journal.MaxPayloadSize), journal.ReadLatest()!.GetPayload());
        }
        // Each rollover erased its target region: B for records slots+1 and 3*slots+1, A for 2*slots+1.
        Assert.Equal(1, flash.GetEraseCycles(map.StateJournalA.FirstSector));
        Assert.Equal(2, flash.GetEraseCycles(map.StateJournalB.FirstSector));
        Assert.Equal(0, flash.Statistics.BitSetAttempts);
    }

    [Fact]
    public void Oversized_payloads_and_bad_slot_sizes_are_rejected()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        var journal = new StateJournal(flash, MemoryMap.Stm32L4_1M);
        Assert.Equal(48, journal.MaxPayloadSize);
        Assert.Throws<ArgumentException>(() => journal.Append(new byte[49]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StateJournal(flash, MemoryMap.Stm32L4_1M, slotSize: 60));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StateJournal(flash, MemoryMap.Stm32L4_1M, slotSize: 4096));
        Assert.Throws<ArgumentException>(() => new StateJournal(flash, MemoryMap.Stm32L4_1M.StateJournalA, MemoryMap.Stm32L4_1M.StateJournalA));
        Assert.Null(journal.ReadLatest());
    }

    [Fact]
    public void A_corrupted_newest_record_falls_back_to_the_previous_one()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        var journal = new StateJournal(flash, MemoryMap.Stm32F4_1M);
        journal.Append("one"u8);
        JournalRecord two = journal.Append("two"u8);
        flash.Program(two.Address + 12, Bytes(0x00, 0x00, 0x00, 0x00)); // clobber payload bits: CRC fails
        Assert.Equal("one", Encoding.ASCII.GetString(journal.ReadLatest()!.Payload.Span));
        JournalRecord three = journal.Append("three"u8);
        Assert.Equal(2u, three.Sequence); // the newest intact record is 1; the torn 2 never counted
        Assert.Equal(two.Address + 64, three.Address); // the damaged slot is never reused
    }

    [Fact]
    public async Task Async_append_charges_erase_and_program_time_in_virtual_time()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32F4_1M, time);
        var journal = new StateJournal(flash, MemoryMap.Stm32F4_1M, slotSize: 16 * 1024); // one slot per sector
        TimeSpan program = TimeSpan.FromMicroseconds(16) * 4096;

        Task first = journal.AppendAsync(new byte[8]); // slot 0 of A is free: one 16 KB program
        time.Advance(program - TimeSpan.FromTicks(1));
        Assert.False(first.IsCompleted);
        time.Advance(TimeSpan.FromTicks(1));
        await first.WaitAsync(TimeSpan.FromSeconds(30));

        Task second = journal.AppendAsync("x"u8.ToArray()); // A is full: erase B (250 ms), then program
        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.False(second.IsCompleted);
        for (int i = 0; i < 1000 && !second.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Yield();
        }
        await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2u, journal.ReadLatest()!.Sequence);
        Assert.Equal(MemoryMap.Stm32F4_1M.StateJournalB.Address, journal.ReadLatest()!.Address);
        Assert.Equal((program * 2) + TimeSpan.FromMilliseconds(250), flash.Statistics.BusyTime);
    }

    // ---- power cut at every operation of a few updates ----

    private sealed record Scenario(string Geometry, int SlotSize, int Existing, int Updates);

    private static (SimulatedFlash Flash, StateJournal Journal) Prepare(Scenario s)
    {
        var flash = Create(FlashGeometry.FindByName(s.Geometry)!, ProgramOverwritePolicy.RejectAnyReprogram);
        var journal = new StateJournal(flash, MemoryMap.For(flash.Geometry)!, s.SlotSize);
        for (uint i = 1; i <= s.Existing; i++)
            journal.Append(PayloadFor(i, journal.MaxPayloadSize));
        flash.ResetStatistics();
        return (flash, journal);
    }

    private static int Run(Scenario s, StateJournal journal, ref int completed)
    {
        for (int u = 0; u < s.Updates; u++)
        {
            uint sequence = (uint)(s.Existing + u + 1);
            journal.Append(PayloadFor(sequence, journal.MaxPayloadSize));
            completed++;
        }
        return completed;
    }

    private static void CheckCutAt(Scenario s, PowerCutPlan plan)
    {
        var (flash, journal) = Prepare(s);
        flash.ArmPowerCut(plan);
        int completed = 0;
        Assert.Throws<PowerLossException>(() => Run(s, journal, ref completed));
        flash.PowerOn();

        // A fresh journal, as after a reboot: reads the old record or the new one, nothing else.
        var rebooted = new StateJournal(flash, MemoryMap.For(flash.Geometry)!, s.SlotSize);
        uint old = (uint)(s.Existing + completed);
        JournalRecord? latest = rebooted.ReadLatest();
        uint read = latest?.Sequence ?? 0; // 0: empty, the old state of a journal that had no record yet
        Assert.True(read == old || read == old + 1, $"{plan}: read {read}, expected {old} or {old + 1}");
        if (latest is not null)
            Assert.Equal(PayloadFor(latest.Sequence, rebooted.MaxPayloadSize), latest.GetPayload());

        // And it keeps working: enough further appends to pass two rollovers.
        for (int i = 1; i <= (2 * rebooted.SlotsPerRegion) + 1; i++)
        {
            uint next = read + (uint)i;
            JournalRecord written = rebooted.Append(PayloadFor(next, rebooted.MaxPayloadSize));
            Assert.Equal(next, written.Sequence);
            Assert.Equal(next, rebooted.ReadLatest()!.Sequence);
        }
    }

    private static int CountOperations(Scenario s)
    {
        var (flash, journal) = Prepare(s);
        int completed = 0;
        Run(s, journal, ref completed);
        return (int)flash.Statistics.OperationCount;
    }

    public static TheoryData<string> Families => new() { "STM32F4-1M", "STM32L4-1M" };

    private static Scenario Small(string geometry) =>
        geometry.StartsWith("STM32F4", StringComparison.Ordinal) ? new(geometry, 4096, 3, 6) : new(geometry, 512, 3, 6);

    [Theory]
    [MemberData(nameof(Families))]
    public void Uninterrupted_updates_count_their_operations(string geometry)
    {
        // 3 existing records in 4-slot regions; 6 more: programs for each, plus erasing B (record 5) and A (record 9).
        Assert.Equal(8, CountOperations(Small(geometry)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Power_cut_before_any_operation_reads_old_or_new_and_recovers(string geometry)
    {
        Scenario s = Small(geometry);
        int operations = CountOperations(s);
        for (int n = 0; n < operations; n++)
            CheckCutAt(s, PowerCutPlan.BeforeOperation(n));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Power_cut_during_any_operation_reads_old_or_new_and_recovers(string geometry)
    {
        Scenario s = Small(geometry);
        int operations = CountOperations(s);
        for (int n = 0; n < operations; n++)
            foreach (TornEraseStyle style in Enum.GetValues<TornEraseStyle>())
                CheckCutAt(s, PowerCutPlan.DuringOperationAt(n, seed: n, style));
    }

    [Theory]
    [MemberData(nameof(Families))]
    [Trait("Category", "Exhaustive")]
    public void Exhaustive_power_cuts_across_many_updates_and_seeds(string geometry)
    {
        foreach (Scenario s in new[] { Small(geometry) with { Existing = 0, Updates = 14 }, Small(geometry) with { Existing = 7, Updates = 11 } })
        {
            int operations = CountOperations(s);
            for (int n = 0; n < operations; n++)
            {
                CheckCutAt(s, PowerCutPlan.BeforeOperation(n));
                for (int seed = 0; seed < 24; seed++)
                    foreach (TornEraseStyle style in Enum.GetValues<TornEraseStyle>())
                        CheckCutAt(s, PowerCutPlan.DuringOperationAt(n, seed, style));
            }
        }
    }

    [Fact]
    [Trait("Category", "Exhaustive")]
    public void Exhaustive_power_cuts_with_the_default_64_byte_slots()
    {
        var s = new Scenario("STM32L4-1M", StateJournal.DefaultSlotSize, 30, 36); // crosses a rollover at record 33
        int operations = CountOperations(s);
        for (int n = 0; n < operations; n++)
            for (int seed = 0; seed < 4; seed++)
                CheckCutAt(s, PowerCutPlan.DuringOperationAt(n, seed, (TornEraseStyle)(seed % 3)));
    }
}

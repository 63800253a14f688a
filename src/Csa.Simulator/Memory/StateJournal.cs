using Csa.Simulator.Flash;
using Csa.Simulator.Memory.Internal;

namespace Csa.Simulator.Memory;

/// <summary>
/// A power-fail-safe store for the boot/update state over two separately erasable flash regions. Records are
/// fixed-size slots with a sequence number and a CRC, appended to the region that holds the newest record; when it
/// is full, the other region is erased and the record goes to its first slot. The newest intact record is the state.
/// </summary>
/// <remarks>
/// Why a power cut at any moment leaves the old or the new record: an append programs only erased slots and erases
/// only the region that does not hold the newest record, so the old record is never touched until a newer intact
/// record exists in the other region. A torn slot fails its CRC (or, on L4, raises an ECC error) and is skipped and
/// never reused; a torn erase leaves only records older than the newest one. The journal keeps no state in RAM: every
/// call scans the flash, as a freshly booted device does.
/// </remarks>
public sealed class StateJournal
{
    /// <summary>The default slot size: 64 bytes, 48 of them payload.</summary>
    public const int DefaultSlotSize = 64;

    private readonly SimulatedFlash _flash;
    private readonly MemoryRegion[] _regions;

    /// <summary>Creates a journal over <paramref name="first"/> and <paramref name="second"/> with <paramref name="slotSize"/>-byte slots.</summary>
    /// <exception cref="ArgumentException">The regions overlap, or the slot size is not a multiple of 8 between 16
    /// and the smaller region's size.</exception>
    public StateJournal(SimulatedFlash flash, MemoryRegion first, MemoryRegion second, int slotSize = DefaultSlotSize)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Address < second.EndAddress && second.Address < first.EndAddress)
            throw new ArgumentException("The two journal regions overlap; each must be erasable without touching the other.", nameof(second));
        if (slotSize % 8 != 0 || slotSize < JournalRecordCodec.Overhead || slotSize > Math.Min(first.Size, second.Size) || slotSize > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(slotSize), slotSize,
                $"The slot size must be a multiple of 8 from {JournalRecordCodec.Overhead} to the region size ({Math.Min(first.Size, second.Size)}).");
        _flash = flash;
        _regions = [first, second];
        SlotSize = slotSize;
    }

    /// <summary>Creates the journal over <paramref name="map"/>'s two journal regions.</summary>
    public StateJournal(SimulatedFlash flash, MemoryMap map, int slotSize = DefaultSlotSize)
        : this(flash, (map ?? throw new ArgumentNullException(nameof(map))).StateJournalA, map.StateJournalB, slotSize)
    {
    }

    /// <summary>The size of one record slot in flash.</summary>
    public int SlotSize { get; }

    /// <summary>The largest payload a record holds.</summary>
    public int MaxPayloadSize => SlotSize - JournalRecordCodec.Overhead;

    /// <summary>How many records one region holds before the journal moves to the other one.</summary>
    public int SlotsPerRegion => Math.Min(_regions[0].Size, _regions[1].Size) / SlotSize;

    /// <summary>The newest intact record, or null when the journal holds none.</summary>
    /// <exception cref="PowerLossException">The device has no power.</exception>
    public JournalRecord? ReadLatest() => Scan().Latest;

    /// <summary>
    /// Appends a record holding <paramref name="payload"/> with the next sequence number, erasing the other region
    /// first when the current one is full. Returns the record written.
    /// </summary>
    /// <exception cref="ArgumentException">The payload is larger than <see cref="MaxPayloadSize"/>.</exception>
    /// <exception cref="FlashException">The flash refused an operation or lost power; the journal still reads the
    /// previous record or the new one.</exception>
    public JournalRecord Append(ReadOnlySpan<byte> payload)
    {
        AppendPlan plan = PlanAppend(payload);
        foreach (FlashSector sector in plan.SectorsToErase)
            _flash.EraseSector(sector.Index);
        _flash.Program(plan.Record.Address, plan.Slot);
        return plan.Record;
    }

    /// <summary>Appends a record holding <paramref name="payload"/>; see <see cref="Append(ReadOnlySpan{byte})"/>.</summary>
    public JournalRecord Append(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Append(payload.AsSpan());
    }

    /// <summary>Appends a record, waiting for each flash operation's duration; see <see cref="Append(ReadOnlySpan{byte})"/>.</summary>
    public async Task<JournalRecord> AppendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        AppendPlan plan = PlanAppend(payload.Span);
        foreach (FlashSector sector in plan.SectorsToErase)
            await _flash.EraseSectorAsync(sector.Index, cancellationToken).ConfigureAwait(false);
        await _flash.ProgramAsync(plan.Record.Address, plan.Slot, cancellationToken).ConfigureAwait(false);
        return plan.Record;
    }

    /// <summary>Appends a record holding <paramref name="payload"/>; see <see cref="AppendAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.</summary>
    public Task<JournalRecord> AppendAsync(byte[] payload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return AppendAsync(payload.AsMemory(), cancellationToken);
    }

    private AppendPlan PlanAppend(ReadOnlySpan<byte> payload)
    {
        if (payload.Length > MaxPayloadSize)
            throw new ArgumentException($"The payload is {payload.Length} bytes; a {SlotSize}-byte slot holds at most {MaxPayloadSize}.", nameof(payload));
        JournalScan scan = Scan();
        uint sequence = checked((scan.Latest?.Sequence ?? 0) + 1);
        byte[] slot = JournalRecordCodec.Encode(sequence, payload, SlotSize);
        int active = scan.LatestRegion;
        IReadOnlyList<FlashSector> erase = [];
        int slotIndex = scan.FirstFreeSlot[active];
        if (slotIndex >= SlotsPerRegion)
        {
            // Never erase the region holding the newest record: move to the other one.
            active = 1 - active;
            erase = _regions[active].Sectors;
            slotIndex = 0;
        }
        uint address = _regions[active].Address + (uint)(slotIndex * SlotSize);
        return new AppendPlan(erase, slot, new JournalRecord(sequence, payload.ToArray(), address));
    }

    private JournalScan Scan()
    {
        JournalRecord? latest = null;
        int latestRegion = 0;
        var firstFree = new int[2];
        var buffer = new byte[SlotSize];
        for (int r = 0; r < 2; r++)
        {
            for (int s = 0; s < SlotsPerRegion; s++)
            {
                uint address = _regions[r].Address + (uint)(s * SlotSize);
                SlotState state = ReadSlot(address, buffer, out uint sequence, out byte[] payload);
                if (state == SlotState.Erased)
                    continue;
                firstFree[r] = s + 1; // slots before a used one are never written: appends only go forward
                if (state == SlotState.Valid && (latest is null || sequence > latest.Sequence))
                {
                    latest = new JournalRecord(sequence, payload, address);
                    latestRegion = r;
                }
            }
        }
        return new JournalScan(latest, latestRegion, firstFree);
    }

    private SlotState ReadSlot(uint address, byte[] buffer, out uint sequence, out byte[] payload)
    {
        sequence = 0;
        payload = [];
        try
        {
            _flash.Read(address, buffer);
        }
        catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
        {
            return SlotState.Torn; // an interrupted write on L4: the firmware sees ECCD and skips the slot
        }
        if (!buffer.AsSpan().ContainsAnyExcept(FlashGeometry.ErasedValue))
            return SlotState.Erased;
        return JournalRecordCodec.TryDecode(buffer, out sequence, out payload) ? SlotState.Valid : SlotState.Torn;
    }

    private enum SlotState
    {
        Erased,
        Valid,
        Torn,
    }

    private sealed record JournalScan(JournalRecord? Latest, int LatestRegion, int[] FirstFreeSlot);

    private sealed record AppendPlan(IReadOnlyList<FlashSector> SectorsToErase, byte[] Slot, JournalRecord Record);
}

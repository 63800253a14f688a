using Csa.Simulator.Flash.Internal;

namespace Csa.Simulator.Flash;

// Sector (page), bank and mass erases.
public sealed partial class SimulatedFlash
{
    /// <summary>
    /// Erases sector (page) <paramref name="sectorIndex"/> to 0xFF and returns at once; the duration is only added
    /// to <see cref="FlashStatistics.BusyTime"/>. One operation for power-cut counting; one erase cycle of wear.
    /// </summary>
    /// <exception cref="FlashProgrammingException">No such sector, it is write protected, or it is worn out and
    /// <see cref="SimulatedFlashOptions.FailBeyondEndurance"/> is set; nothing was erased.</exception>
    /// <exception cref="PowerLossException">The device has no power, or a planned cut hit this operation.</exception>
    public void EraseSector(int sectorIndex)
    {
        EraseOperation op;
        CancellationTokenSource? cut;
        string when;
        lock (_gate)
        {
            op = BeginSectorErase(sectorIndex);
            cut = RunSyncLocked(op, out when);
        }
        ThrowIfCut(cut, when, op);
    }

    /// <summary>
    /// Erases sector (page) <paramref name="sectorIndex"/> and completes after the erase time on the configured
    /// <see cref="TimeProvider"/> (e.g. one second of virtual time for a 128 KB F4 sector, typical profile).
    /// </summary>
    /// <exception cref="FlashProgrammingException">As <see cref="EraseSector"/>.</exception>
    /// <exception cref="PowerLossException">The device has no power, or the power was cut before the end.</exception>
    public async Task EraseSectorAsync(int sectorIndex, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(() => BeginSectorErase(sectorIndex), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Erases every sector of bank <paramref name="bank"/> (F4 MER/MER1, L4 MER1/MER2); see <see cref="EraseSector"/>.</summary>
    public void EraseBank(int bank)
    {
        EraseOperation op;
        CancellationTokenSource? cut;
        string when;
        lock (_gate)
        {
            op = BeginMassErase([bank]);
            cut = RunSyncLocked(op, out when);
        }
        ThrowIfCut(cut, when, op);
    }

    /// <summary>Erases every sector of bank <paramref name="bank"/>; see <see cref="EraseSectorAsync"/>.</summary>
    public async Task EraseBankAsync(int bank, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(() => BeginMassErase([bank]), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Erases the whole main flash (every bank) in one operation; refused if any sector is write protected.</summary>
    public void MassErase()
    {
        EraseOperation op;
        CancellationTokenSource? cut;
        string when;
        lock (_gate)
        {
            op = BeginMassErase(Geometry.Banks.Select(b => b.Index).ToArray());
            cut = RunSyncLocked(op, out when);
        }
        ThrowIfCut(cut, when, op);
    }

    /// <summary>Erases the whole main flash; see <see cref="MassErase"/> and <see cref="EraseSectorAsync"/>.</summary>
    public async Task MassEraseAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await RunAsync(() => BeginMassErase(Geometry.Banks.Select(b => b.Index).ToArray()), cancellationToken).ConfigureAwait(false);
    }

    private EraseOperation BeginSectorErase(int sectorIndex)
    {
        EnsureReady();
        CheckSectorIndex(sectorIndex);
        FlashSector sector = Geometry.Sectors[sectorIndex];
        CheckErasable([sector]);
        return new EraseOperation($"erase of {Geometry.SectorTerm} {sector.Index} (0x{sector.Address:X8})",
            _timing.Erase(sector, Options.TimingProfile), [sector.Bank], _store, [sector], isMassErase: false);
    }

    private EraseOperation BeginMassErase(int[] banks)
    {
        EnsureReady();
        foreach (int bank in banks)
            if (bank < 0 || bank >= Geometry.Banks.Count)
                throw Error(FlashError.AddressOutOfRange, 0, $"{Geometry.Name} has no bank {bank} (it has {Geometry.Banks.Count}, numbered from 0).");
        FlashSector[] sectors = Geometry.Sectors.Where(s => banks.Contains(s.Bank)).ToArray();
        CheckErasable(sectors);
        return new EraseOperation($"mass erase of bank(s) {string.Join(",", banks)}",
            _timing.MassErase(banks.Length, Options.TimingProfile), banks, _store, sectors, isMassErase: true);
    }

    private void CheckErasable(IReadOnlyList<FlashSector> sectors)
    {
        foreach (FlashSector sector in sectors)
        {
            if (_store.OptionBytes.IsWriteProtected(sector.Index))
                throw Error(FlashError.WriteProtected, sector.Address,
                    $"WRPERR: {Geometry.SectorTerm} {sector.Index} (0x{sector.Address:X8}) is write protected.");
            if (Options.FailBeyondEndurance && _store.EraseCycles[sector.Index] >= Geometry.EnduranceCycles)
                throw Error(FlashError.EnduranceExceeded, sector.Address,
                    $"{Geometry.SectorTerm} {sector.Index} has reached its endurance of {Geometry.EnduranceCycles} erase cycles.");
        }
    }

    private void CountWear(IReadOnlyList<FlashSector> sectors)
    {
        foreach (FlashSector sector in sectors)
        {
            int cycles = ++_store.EraseCycles[sector.Index];
            if (cycles == Geometry.EnduranceCycles + 1)
                FlashLog.EnduranceExceeded(_logger, sector.ToString(), cycles);
        }
    }
}

namespace Csa.Simulator.Flash.Internal;

/// <summary>
/// Erases sectors one after another (a sector erase is one sector; a mass erase is every sector of its banks).
/// An interrupted erase leaves the sectors before the cut erased, the one at the cut in the torn state the plan
/// asks for and the later ones untouched.
/// </summary>
internal sealed class EraseOperation : PendingOperation
{
    private readonly FlashStore _store;
    private readonly IReadOnlyList<FlashSector> _sectors;

    public EraseOperation(string description, TimeSpan duration, IReadOnlyList<int> banks, FlashStore store, IReadOnlyList<FlashSector> sectors, bool isMassErase)
        : base(description, duration, banks)
    {
        IsMassErase = isMassErase;
        _store = store;
        _sectors = sectors;
    }

    public bool IsMassErase { get; }

    public IReadOnlyList<FlashSector> Sectors => _sectors;

    public override void Commit()
    {
        foreach (FlashSector sector in _sectors)
            _store.EraseMain(OffsetOf(sector), sector.Size);
    }

    public override void Tear(double fraction, Random random, TornEraseStyle eraseStyle)
    {
        double position = fraction * _sectors.Count;
        int cut = Math.Min(_sectors.Count - 1, (int)position);
        for (int i = 0; i < cut; i++)
            _store.EraseMain(OffsetOf(_sectors[i]), _sectors[i].Size);
        TearSector(_sectors[cut], position - cut, random, eraseStyle);
    }

    private void TearSector(FlashSector sector, double fraction, Random random, TornEraseStyle style)
    {
        int offset = OffsetOf(sector);
        Span<byte> cells = _store.Main.AsSpan(offset, sector.Size);
        byte[] before = cells.ToArray();
        switch (style)
        {
            case TornEraseStyle.RandomContent:
                random.NextBytes(cells);
                break;
            case TornEraseStyle.ErasedPrefix:
                int erased = (int)(fraction * sector.Size) & ~7;
                cells[..erased].Fill(FlashGeometry.ErasedValue);
                break;
            default:
                for (int i = 0; i < cells.Length; i++)
                    cells[i] |= (byte)random.Next(256); // some programmed bits are back at 1
                break;
        }
        if (!_store.HasEcc)
            return;
        // A double word that reads all 0xFF is erased (its ECC cells too); one that changed otherwise holds data
        // and ECC from different moments of the erase: a double error.
        for (int dw = 0; dw < sector.Size / 8; dw++)
        {
            ReadOnlySpan<byte> now = cells.Slice(dw * 8, 8), was = before.AsSpan(dw * 8, 8);
            int index = (offset / 8) + dw;
            if (!now.ContainsAnyExcept(FlashGeometry.ErasedValue))
                _store.MainEccBroken[index] = false;
            else if (!now.SequenceEqual(was))
                _store.MainEccBroken[index] = true;
        }
    }

    private int OffsetOf(FlashSector sector) => (int)(sector.Address - _store.Geometry.BaseAddress);
}

namespace Csa.Simulator.Flash.Internal;

/// <summary>
/// Programs a buffer as a sequence of program units (F4: the PSIZE access; L4: one double word with its ECC).
/// The cells can only go 1 -> 0, so every unit ANDs into the array. On L4 a unit whose bits landed only in part
/// leaves its ECC inconsistent; writing all zeros makes the ECC (all zeros too) consistent again.
/// </summary>
internal sealed class ProgramOperation : PendingOperation
{
    private readonly FlashArea _area;
    private readonly byte[] _data;
    private readonly int _unitSize;
    private readonly bool _ecc;

    public ProgramOperation(string description, TimeSpan duration, IReadOnlyList<int> banks, FlashArea area, byte[] data, int unitSize, bool ecc)
        : base(description, duration, banks)
    {
        _area = area;
        _data = data;
        _unitSize = unitSize;
        _ecc = ecc;
    }

    public int UnitCount => _data.Length / _unitSize;

    public override void Commit()
    {
        for (int u = 0; u < UnitCount; u++)
            ApplyUnit(u, random: null);
    }

    public override void Tear(double fraction, Random random, TornEraseStyle eraseStyle)
    {
        int cutUnit = Math.Min(UnitCount - 1, (int)(fraction * UnitCount));
        for (int u = 0; u < cutUnit; u++)
            ApplyUnit(u, random: null);
        ApplyUnit(cutUnit, random);
    }

    // random == null: the unit lands completely; otherwise a random subset of its 1 -> 0 changes lands.
    private void ApplyUnit(int unit, Random? random)
    {
        int start = _area.Offset + (unit * _unitSize);
        Span<byte> cells = _area.Data.AsSpan(start, _unitSize);
        ReadOnlySpan<byte> wanted = _data.AsSpan(unit * _unitSize, _unitSize);
        bool anyIntended = false, allLanded = true, wantsZero = true;
        for (int i = 0; i < _unitSize; i++)
        {
            byte intended = (byte)(cells[i] & ~wanted[i]); // bits that must go 1 -> 0
            byte landed = random is null ? intended : (byte)(intended & random.Next(256));
            anyIntended |= intended != 0;
            allLanded &= landed == intended;
            wantsZero &= wanted[i] == 0;
            cells[i] = (byte)(cells[i] & ~landed);
        }
        if (!_ecc)
            return;
        int dw = start / 8;
        if (anyIntended && !allLanded)
            _area.EccBroken[dw] = true;
        else if (wantsZero)
            _area.EccBroken[dw] = false;
    }
}

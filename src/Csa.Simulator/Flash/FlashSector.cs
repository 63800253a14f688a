namespace Csa.Simulator.Flash;

/// <summary>
/// One erase unit of the flash: a sector on STM32F4, a page on STM32L4. Sectors are numbered across the whole
/// flash from 0 (on L4 page 0 of bank 2 is sector 256 of the 1 MB part).
/// </summary>
/// <param name="Index">The sector number across the whole flash (F4 SNB; L4 bank-2 pages continue the count).</param>
/// <param name="Bank">The bank the sector belongs to (0 or 1).</param>
/// <param name="IndexInBank">The sector's number inside its bank (L4 PNB; F4 sector 12 is sector 0 of bank 2).</param>
/// <param name="Address">The first address of the sector.</param>
/// <param name="Size">The size in bytes.</param>
public sealed record FlashSector(int Index, int Bank, int IndexInBank, uint Address, int Size)
{
    /// <summary>The first address after the sector.</summary>
    public uint EndAddress => Address + (uint)Size;

    /// <summary>Whether <paramref name="address"/> lies inside the sector.</summary>
    public bool Contains(uint address) => address >= Address && address < EndAddress;

    /// <inheritdoc />
    public override string ToString() => $"sector {Index} (bank {Bank}, 0x{Address:X8}, {Size / 1024} KB)";
}

/// <summary>One flash bank: a range of sectors the controller erases or programs while the other bank is read.</summary>
/// <param name="Index">The bank number (0 or 1).</param>
/// <param name="Address">The first address of the bank.</param>
/// <param name="Size">The size in bytes.</param>
/// <param name="FirstSector">The index of the bank's first sector.</param>
/// <param name="SectorCount">How many sectors the bank has.</param>
public sealed record FlashBank(int Index, uint Address, int Size, int FirstSector, int SectorCount)
{
    /// <summary>The first address after the bank.</summary>
    public uint EndAddress => Address + (uint)Size;
}

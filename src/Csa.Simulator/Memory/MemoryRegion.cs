using Csa.Simulator.Flash;

namespace Csa.Simulator.Memory;

/// <summary>What a flash region holds.</summary>
public enum MemoryRegionKind
{
    /// <summary>The pre-bootloader: starts the valid bootloader copy with the highest version. At the reset vector.</summary>
    PreBootloader,

    /// <summary>First half of the two-sector boot/update state journal.</summary>
    StateJournalA,

    /// <summary>Second half of the two-sector boot/update state journal.</summary>
    StateJournalB,

    /// <summary>Device provisioning data written in production: identity, device key material, key hashes.</summary>
    Provisioning,

    /// <summary>The application's own persistent data (calibration, logs): kept across application updates.</summary>
    ApplicationData,

    /// <summary>Bootloader copy A.</summary>
    BootloaderA,

    /// <summary>Bootloader copy B.</summary>
    BootloaderB,

    /// <summary>The application image (manifest first).</summary>
    Application,
}

/// <summary>
/// A named range of whole sectors (pages) of the main flash: erasing it never touches another region.
/// </summary>
public sealed record MemoryRegion
{
    private MemoryRegion(MemoryRegionKind kind, FlashGeometry geometry, int firstSector, int sectorCount)
    {
        Kind = kind;
        FirstSector = firstSector;
        SectorCount = sectorCount;
        Sectors = geometry.Sectors.Skip(firstSector).Take(sectorCount).ToArray();
        Address = Sectors[0].Address;
        Size = Sectors.Sum(s => s.Size);
        Banks = Sectors.Select(s => s.Bank).Distinct().ToArray();
    }

    /// <summary>What the region holds.</summary>
    public MemoryRegionKind Kind { get; }

    /// <summary>The first address.</summary>
    public uint Address { get; }

    /// <summary>The size in bytes.</summary>
    public int Size { get; }

    /// <summary>The first address after the region.</summary>
    public uint EndAddress => Address + (uint)Size;

    /// <summary>The index of the first sector (page).</summary>
    public int FirstSector { get; }

    /// <summary>How many sectors (pages) the region spans.</summary>
    public int SectorCount { get; }

    /// <summary>The sectors (pages) of the region, in address order.</summary>
    public IReadOnlyList<FlashSector> Sectors { get; }

    /// <summary>The banks the region lies in.</summary>
    public IReadOnlyList<int> Banks { get; }

    /// <summary>Whether <paramref name="address"/> lies in the region.</summary>
    public bool Contains(uint address) => address >= Address && address < EndAddress;

    /// <summary>The region of <paramref name="kind"/> made of <paramref name="sectorCount"/> sectors from <paramref name="firstSector"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sectors do not exist on <paramref name="geometry"/>.</exception>
    public static MemoryRegion FromSectors(MemoryRegionKind kind, FlashGeometry geometry, int firstSector, int sectorCount)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentOutOfRangeException.ThrowIfNegative(firstSector);
        ArgumentOutOfRangeException.ThrowIfLessThan(sectorCount, 1);
        if (firstSector + sectorCount > geometry.Sectors.Count)
            throw new ArgumentOutOfRangeException(nameof(sectorCount), sectorCount,
                $"{geometry.SectorTerm}s {firstSector}-{firstSector + sectorCount - 1} do not exist on {geometry.Name} ({geometry.Sectors.Count} {geometry.SectorTerm}s).");
        return new MemoryRegion(kind, geometry, firstSector, sectorCount);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Kind}: 0x{Address:X8}-0x{EndAddress - 1:X8} ({Size / 1024} KB, sectors {FirstSector}-{FirstSector + SectorCount - 1})";
}

/// <summary>A named range of the one-time-programmable area.</summary>
/// <param name="Name">What the range is for.</param>
/// <param name="Address">The first address.</param>
/// <param name="Size">The size in bytes.</param>
public sealed record OtpRegion(string Name, uint Address, int Size)
{
    /// <summary>The first address after the range.</summary>
    public uint EndAddress => Address + (uint)Size;
}

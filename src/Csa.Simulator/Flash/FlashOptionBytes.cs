using System.Collections.Immutable;

namespace Csa.Simulator.Flash;

/// <summary>The read-out protection level (option byte RDP).</summary>
public enum ReadOutProtectionLevel
{
    /// <summary>Level 0 (RDP = 0xAA): no protection.</summary>
    Level0,

    /// <summary>
    /// Level 1 (any other RDP value): the flash cannot be read by a debugger or the system bootloader; going back
    /// to level 0 mass-erases the main flash.
    /// </summary>
    Level1,

    /// <summary>Level 2 (RDP = 0xCC): debug disabled for good; the option bytes can never be changed again.</summary>
    Level2,
}

/// <summary>
/// The protection part of the option bytes: read-out protection and the write-protected sectors (F4 nWRP bits,
/// one per sector; L4 WRP areas, at most two page ranges per bank). Immutable; derive changed copies with the
/// With* methods and apply them with <see cref="SimulatedFlash.ProgramOptionBytes"/>.
/// </summary>
public sealed class FlashOptionBytes : IEquatable<FlashOptionBytes>
{
    /// <summary>The factory state: level 0, nothing write protected.</summary>
    public static FlashOptionBytes Factory { get; } = new(ReadOutProtectionLevel.Level0, ImmutableSortedSet<int>.Empty);

    private FlashOptionBytes(ReadOutProtectionLevel readOutProtection, ImmutableSortedSet<int> writeProtectedSectors)
    {
        ReadOutProtection = readOutProtection;
        WriteProtectedSectors = writeProtectedSectors;
    }

    /// <summary>The read-out protection level.</summary>
    public ReadOutProtectionLevel ReadOutProtection { get; }

    /// <summary>The indexes of the write-protected sectors (pages), ascending.</summary>
    public ImmutableSortedSet<int> WriteProtectedSectors { get; }

    /// <summary>Whether sector <paramref name="sectorIndex"/> is write protected.</summary>
    public bool IsWriteProtected(int sectorIndex) => WriteProtectedSectors.Contains(sectorIndex);

    /// <summary>A copy with read-out protection <paramref name="level"/>.</summary>
    public FlashOptionBytes WithReadOutProtection(ReadOutProtectionLevel level) => new(level, WriteProtectedSectors);

    /// <summary>A copy with <paramref name="sectorIndexes"/> write protected in addition.</summary>
    public FlashOptionBytes WithWriteProtection(params int[] sectorIndexes) =>
        new(ReadOutProtection, WriteProtectedSectors.Union(sectorIndexes));

    /// <summary>A copy with <paramref name="sectorIndexes"/> no longer write protected.</summary>
    public FlashOptionBytes WithoutWriteProtection(params int[] sectorIndexes) =>
        new(ReadOutProtection, WriteProtectedSectors.Except(sectorIndexes));

    /// <summary>A copy with exactly <paramref name="sectorIndexes"/> write protected.</summary>
    public FlashOptionBytes WithOnlyWriteProtection(IEnumerable<int> sectorIndexes) =>
        new(ReadOutProtection, ImmutableSortedSet.CreateRange(sectorIndexes));

    /// <inheritdoc />
    public bool Equals(FlashOptionBytes? other) =>
        other is not null && other.ReadOutProtection == ReadOutProtection && other.WriteProtectedSectors.SetEquals(WriteProtectedSectors);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FlashOptionBytes);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(ReadOutProtection);
        foreach (int s in WriteProtectedSectors)
            hash.Add(s);
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"RDP {ReadOutProtection}, WRP [{string.Join(",", WriteProtectedSectors)}]";

    /// <summary>Checks that the chip can represent these option bytes; returns the reason when it cannot.</summary>
    internal string? Validate(FlashGeometry geometry)
    {
        foreach (int s in WriteProtectedSectors)
            if (s < 0 || s >= geometry.Sectors.Count)
                return $"write protection names {geometry.SectorTerm} {s}, which does not exist on {geometry.Name}";
        if (geometry.Family == FlashFamily.Stm32L4)
        {
            // RM0351: WRP1A/WRP1B for bank 1 and WRP2A/WRP2B for bank 2, each one contiguous page range.
            foreach (FlashBank bank in geometry.Banks)
            {
                int ranges = 0, previous = int.MinValue;
                foreach (int s in WriteProtectedSectors)
                {
                    if (s < bank.FirstSector || s >= bank.FirstSector + bank.SectorCount)
                        continue;
                    if (s != previous + 1)
                        ranges++;
                    previous = s;
                }
                if (ranges > 2)
                    return $"bank {bank.Index + 1} needs {ranges} write-protected page ranges; the L4 has two WRP areas per bank";
            }
        }
        return null;
    }
}

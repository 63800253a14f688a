using Csa.Simulator.Flash;

namespace Csa.Simulator.Memory;

/// <summary>Region-level helpers over <see cref="SimulatedFlash"/> for the device logic.</summary>
public static class FlashRegionExtensions
{
    /// <summary>Erases every sector (page) of <paramref name="region"/>, one erase operation per sector, in address order.</summary>
    /// <exception cref="FlashException">An erase was refused or the power failed; sectors before it are erased.</exception>
    public static void EraseRegion(this SimulatedFlash flash, MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(region);
        foreach (FlashSector sector in region.Sectors)
            flash.EraseSector(sector.Index);
    }

    /// <summary>Erases every sector (page) of <paramref name="region"/>, waiting for each erase's duration.</summary>
    /// <exception cref="FlashException">An erase was refused or the power failed; sectors before it are erased.</exception>
    public static async Task EraseRegionAsync(this SimulatedFlash flash, MemoryRegion region, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(region);
        foreach (FlashSector sector in region.Sectors)
            await flash.EraseSectorAsync(sector.Index, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether [<paramref name="address"/>, +<paramref name="length"/>) reads all 0xFF, as a firmware blank check
    /// would: a range holding an L4 double word with an ECC error is not blank.
    /// </summary>
    /// <exception cref="FlashProgrammingException">The range is not inside one readable area.</exception>
    /// <exception cref="PowerLossException">The device has no power.</exception>
    public static bool IsBlank(this SimulatedFlash flash, uint address, int length)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var buffer = new byte[Math.Min(length, 4096)];
        for (int done = 0; done < length; done += buffer.Length)
        {
            Span<byte> chunk = buffer.AsSpan(0, Math.Min(buffer.Length, length - done));
            try
            {
                flash.Read(address + (uint)done, chunk);
            }
            catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
            {
                return false;
            }
            if (chunk.ContainsAnyExcept(FlashGeometry.ErasedValue))
                return false;
        }
        return true;
    }

    /// <summary>Whether the whole of <paramref name="region"/> is blank; see <see cref="IsBlank(SimulatedFlash, uint, int)"/>.</summary>
    public static bool IsBlank(this SimulatedFlash flash, MemoryRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        return flash.IsBlank(region.Address, region.Size);
    }
}

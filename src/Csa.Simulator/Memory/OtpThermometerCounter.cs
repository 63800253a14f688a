using Csa.Simulator.Flash;

namespace Csa.Simulator.Memory;

/// <summary>
/// A monotonic counter in OTP: step i is taken when program unit i of the range is no longer erased (a thermometer
/// code). Each step programs one fresh unit to all zeros and never writes a taken one again, which is the only way
/// that works on both families (an L4 OTP double word with a single 0 bit cannot be written again, not even with
/// zeros). Nothing can lower the value: OTP cannot be erased. The device keeps the exact security counter in its state journal; this is the floor it never goes below.
/// </summary>
public sealed class OtpThermometerCounter
{
    private readonly SimulatedFlash _flash;
    private readonly OtpRegion _region;

    /// <summary>Creates the counter over <paramref name="region"/> of <paramref name="flash"/>'s OTP.</summary>
    /// <exception cref="ArgumentException">The range is not a whole number of program units inside the OTP area.</exception>
    public OtpThermometerCounter(SimulatedFlash flash, OtpRegion region)
    {
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(region);
        FlashGeometry g = flash.Geometry;
        int unit = flash.ProgramUnitSize;
        if (region.Address < g.OtpAddress || region.EndAddress > g.OtpAddress + (ulong)g.OtpSize
            || region.Address % unit != 0 || region.Size % unit != 0 || region.Size == 0)
            throw new ArgumentException($"{region.Name} is not a whole number of {unit}-byte units inside the OTP area.", nameof(region));
        _flash = flash;
        _region = region;
    }

    /// <summary>The highest value the counter can reach: one step per program unit.</summary>
    public int Capacity => _region.Size / _flash.ProgramUnitSize;

    /// <summary>The counter: the number of the last taken step (0 when none is).</summary>
    /// <exception cref="PowerLossException">The device has no power.</exception>
    public int Read()
    {
        int unit = _flash.ProgramUnitSize;
        int value = 0;
        Span<byte> cells = stackalloc byte[unit];
        for (int step = 0; step < Capacity; step++)
        {
            if (!IsErased(_region.Address + (uint)(step * unit), cells))
                value = step + 1; // a torn step counts as taken: the counter may skip, never go back
        }
        return value;
    }

    /// <summary>
    /// Raises the counter to at least <paramref name="value"/> (a lower value changes nothing). Each step is one
    /// program operation; a power cut leaves a value between the old and the new one.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> exceeds <see cref="Capacity"/>.</exception>
    /// <exception cref="FlashException">The flash refused a step or lost power.</exception>
    public void AdvanceTo(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Capacity);
        int unit = _flash.ProgramUnitSize;
        var zeros = new byte[unit];
        for (int step = Read(); step < value; step++)
            _flash.Program(_region.Address + (uint)(step * unit), zeros);
    }

    private bool IsErased(uint address, Span<byte> cells)
    {
        try
        {
            _flash.Read(address, cells);
        }
        catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
        {
            return false;
        }
        return !cells.ContainsAnyExcept(FlashGeometry.ErasedValue);
    }
}

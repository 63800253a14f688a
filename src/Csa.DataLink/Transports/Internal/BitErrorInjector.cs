namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// Inverts each data bit on the wire independently with probability <c>p</c>. Instead of drawing a random
/// number per bit (too slow at 1 Mbaud), it draws the gap to the next error from the geometric
/// distribution, <c>floor(ln(1 - U) / ln(1 - p))</c>, which yields the same independent per-bit process.
/// Bits are counted in transmission order: bit 0 of each byte first (a UART sends LSB first).
/// </summary>
internal sealed class BitErrorInjector
{
    private readonly double _rate;
    private readonly double _logKeep;
    private readonly Random _random;
    private long _bitsToNextError;

    public BitErrorInjector(double bitErrorRate, int seed)
    {
        _rate = bitErrorRate;
        _random = new Random(seed);
        _logKeep = bitErrorRate < 1 ? Math.Log(1 - bitErrorRate) : double.NegativeInfinity;
        _bitsToNextError = DrawGap();
    }

    /// <summary>Returns <paramref name="value"/> with this byte's bit errors applied, and how many bits flipped.</summary>
    public byte Apply(byte value, out int flipped)
    {
        flipped = 0;
        if (_rate <= 0)
        {
            return value;
        }

        int position = 0;
        while (_bitsToNextError < 8 - position)
        {
            position += (int)_bitsToNextError;
            value ^= (byte)(1 << position);
            flipped++;
            position++;
            _bitsToNextError = DrawGap();
        }

        _bitsToNextError -= 8 - position;
        return value;
    }

    private long DrawGap()
    {
        if (_rate <= 0)
        {
            return long.MaxValue;
        }

        if (_rate >= 1)
        {
            return 0;
        }

        double gap = Math.Floor(Math.Log(1 - _random.NextDouble()) / _logKeep);
        return gap >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)gap;
    }
}

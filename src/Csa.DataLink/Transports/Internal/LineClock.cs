namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// The timing of one UART line, in <see cref="TimeProvider"/> timestamp units. Bytes are numbered from an
/// anchor (the moment the line last started from idle): byte number <c>n</c> (1-based) has left the line at
/// <c>anchor + ceil(n * 10 * frequency / baud)</c>. Due times are computed from the anchor, never
/// accumulated, so rounding never drifts and any rate (1 Mbaud included) is exact over any span.
/// </summary>
internal sealed class LineClock
{
    private const int BitsPerByte = 10; // 8N1: start bit, 8 data bits, stop bit

    private readonly int _baud;
    private readonly long _frequency;
    private long _anchor;
    private long _count;

    public LineClock(int baudRate, long timestampFrequency, TimeSpan latency)
    {
        _baud = baudRate;
        _frequency = timestampFrequency;
        LatencyTicks = (long)((Int128)latency.Ticks * timestampFrequency / TimeSpan.TicksPerSecond);
    }

    /// <summary>No rate limit: every byte leaves at the moment it is taken.</summary>
    public bool Unlimited => _baud == 0;

    public long LatencyTicks { get; }

    public long Anchor => _anchor;

    /// <summary>The moment the last byte taken has left the line.</summary>
    public long FreeAt => EndOf(_anchor, _count);

    /// <summary>Starts a batch of bytes taken at <paramref name="now"/>. A line that went idle restarts at
    /// <paramref name="now"/>; bytes that were already waiting (<paramref name="backlogged"/>) follow the
    /// previous byte back to back even if the taker was late, as a UART FIFO would send them.</summary>
    public void BeginBatch(long now, bool backlogged)
    {
        if (Unlimited || (!backlogged && FreeAt < now))
        {
            _anchor = now;
            _count = 0;
        }
    }

    /// <summary>Puts the next byte on the line and returns its number since the anchor.</summary>
    public long NextByte() => ++_count;

    /// <summary>Puts <paramref name="count"/> bytes on the line and returns the number of the first.</summary>
    public long TakeBytes(long count)
    {
        long first = _count + 1;
        _count += count;
        return first;
    }

    /// <summary>The duration of <paramref name="bytes"/> bytes on the line, in timestamp units (0 when unlimited).</summary>
    public long DurationOf(long bytes) => Unlimited ? 0 : EndOf(0, bytes);

    /// <summary>How many more bytes to take at <paramref name="now"/> so that the line is busy until about
    /// <c>now + horizon</c>; at least 1.</summary>
    public long BytesToFill(long now, bool backlogged, long horizon)
    {
        if (Unlimited)
        {
            return long.MaxValue;
        }

        long start = backlogged || FreeAt >= now ? FreeAt : now;
        Int128 room = (Int128)(now + horizon - start) * _baud / ((long)BitsPerByte * _frequency);
        return room < 1 ? 1 : room > int.MaxValue ? int.MaxValue : (long)room;
    }

    /// <summary>When byte <paramref name="number"/> of the line anchored at <paramref name="anchor"/> reaches the receiver.</summary>
    public long DueOf(long anchor, long number) => EndOf(anchor, number) + LatencyTicks;

    /// <summary>The highest byte number (of the line anchored at <paramref name="anchor"/>) that has reached
    /// the receiver at <paramref name="now"/>, or a negative number when none has.</summary>
    public long LastArrived(long anchor, long now)
    {
        long elapsed = now - anchor - LatencyTicks;
        if (elapsed < 0)
        {
            return -1;
        }

        if (Unlimited)
        {
            return long.MaxValue;
        }

        // ceil(n * 10F / B) <= elapsed  <=>  n * 10F / B <= elapsed (elapsed is whole)  <=>  n <= elapsed * B / 10F
        Int128 last = (Int128)elapsed * _baud / ((long)BitsPerByte * _frequency);
        return last > long.MaxValue ? long.MaxValue : (long)last;
    }

    /// <summary>Converts a timestamp span to a <see cref="TimeSpan"/>, rounding up so a timer never fires early.</summary>
    public TimeSpan ToTimeSpan(long timestampTicks)
    {
        Int128 ticks = ((Int128)timestampTicks * TimeSpan.TicksPerSecond + _frequency - 1) / _frequency;
        return TimeSpan.FromTicks((long)ticks);
    }

    private long EndOf(long anchor, long number)
    {
        if (Unlimited || number == 0)
        {
            return anchor;
        }

        Int128 bitTime = (Int128)number * BitsPerByte * _frequency;
        return anchor + (long)((bitTime + _baud - 1) / _baud);
    }
}

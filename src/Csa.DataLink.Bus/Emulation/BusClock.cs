namespace Csa.DataLink.Bus.Emulation;

/// <summary>
/// The time an emulated bus is busy: transactions occupy it one after another from a cursor (a transaction starts when
/// the bus is free, never before it is issued), and the issuing thread returns as soon as the cursor is at most
/// <see cref="MaxAhead"/> in the future. Throughput is therefore exactly the bus's over any stretch longer than that, without a
/// sleep per transaction (the system timer cannot sleep for the 70 us of an I2C header poll at 100 kHz).
/// </summary>
internal sealed class BusClock(TimeProvider time)
{
    /// <summary>How far the bus may run ahead of the clock before the issuing thread waits.</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMilliseconds(2);

    private readonly object _gate = new();
    private long _cursor = long.MinValue;
    private long _busyTicks;
    private long _transactions;

    public TimeProvider Time => time;

    /// <summary>Total time the bus carried transactions.</summary>
    public TimeSpan BusyTime => TimeSpan.FromSeconds((double)Interlocked.Read(ref _busyTicks) / time.TimestampFrequency);

    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Books <paramref name="duration"/> of bus time from the later of now and the end of the previous transaction; returns its end.</summary>
    public long Occupy(TimeSpan duration)
    {
        long ticks = (long)Math.Ceiling(duration.TotalSeconds * time.TimestampFrequency);
        lock (_gate)
        {
            long start = Math.Max(time.GetTimestamp(), _cursor);
            _cursor = start + ticks;
            _busyTicks += ticks;
            _transactions++;
            return _cursor;
        }
    }

    /// <summary>Blocks the issuing thread (as a driver's blocking transfer does) until <paramref name="end"/> is at most <see cref="MaxAhead"/> away.</summary>
    public void Pace(long end)
    {
        TimeSpan ahead = time.GetElapsedTime(time.GetTimestamp(), end) - MaxAhead;
        if (ahead > TimeSpan.Zero)
            Task.Delay(ahead, time).GetAwaiter().GetResult();
    }
}

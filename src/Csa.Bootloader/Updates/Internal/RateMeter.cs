namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// Bytes per second over a sliding time window, from cumulative byte counts: robust to bursts (a window of writes
/// acknowledged at once after an erase) and to pauses (the rate falls instead of keeping its last value).
/// </summary>
internal sealed class RateMeter(TimeProvider time, TimeSpan window)
{
    private readonly Queue<(long Timestamp, long Bytes)> _samples = new();
    private readonly object _gate = new();
    private (long Timestamp, long Bytes)? _anchor; // the newest sample older than the window: the rate's base

    /// <summary>Records that <paramref name="cumulativeBytes"/> have been done by now and returns the current rate.</summary>
    public double Record(long cumulativeBytes)
    {
        long now = time.GetTimestamp();
        lock (_gate)
        {
            while (_samples.Count > 0 && time.GetElapsedTime(_samples.Peek().Timestamp, now) >= window)
                _anchor = _samples.Dequeue();
            (long baseTime, long baseBytes) = _anchor ?? (_samples.Count > 0 ? _samples.Peek() : (now, cumulativeBytes));
            _samples.Enqueue((now, cumulativeBytes));
            TimeSpan elapsed = time.GetElapsedTime(baseTime, now);
            return elapsed <= TimeSpan.Zero ? 0 : Math.Max(0, cumulativeBytes - baseBytes) / elapsed.TotalSeconds;
        }
    }

    /// <summary>Forgets the history (after a resume the old samples say nothing about the new link).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _samples.Clear();
            _anchor = null;
        }
    }
}

namespace Csa.Records;

/// <summary>Times as the stores keep them: UTC, to the microsecond (PostgreSQL's resolution), so a row reads back equal.</summary>
public static class RecordTime
{
    /// <summary><paramref name="time"/> in UTC, cut to whole microseconds.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time)
    {
        DateTimeOffset utc = time.ToUniversalTime();
        return new DateTimeOffset(utc.Ticks - utc.Ticks % 10, TimeSpan.Zero);
    }
}

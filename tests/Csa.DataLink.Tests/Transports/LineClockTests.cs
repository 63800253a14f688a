using Csa.DataLink.Transports.Internal;

namespace Csa.DataLink.Tests.Transports;

[Trait("Requirement", "REQ-TOPO")]
public sealed class LineClockTests
{
    private const long Nanoseconds = 1_000_000_000; // TimeProvider.System's frequency on Linux

    [Theory]
    [InlineData(9600, 960, 1_000_000_000)]
    [InlineData(115200, 11520, 1_000_000_000)]
    [InlineData(1_000_000, 100_000, 1_000_000_000)]
    [InlineData(115200, 1, 86_806)] // ceil(10 / 115200 s) = 86,805.6 ns
    public void Byte_n_leaves_the_line_at_ceil_of_n_times_10_over_baud(int baud, long bytes, long expectedNanoseconds)
    {
        var clock = new LineClock(baud, Nanoseconds, TimeSpan.Zero);
        clock.BeginBatch(now: 5_000, backlogged: false);
        Assert.Equal(5_000 + expectedNanoseconds, clock.DueOf(clock.Anchor, bytes));
    }

    [Fact]
    public void Due_times_do_not_drift_over_a_billion_bytes()
    {
        var clock = new LineClock(115200, Nanoseconds, TimeSpan.Zero);
        Assert.Equal(86_805_555_555_556, clock.DueOf(0, 1_000_000_000)); // 1e9 * 10 / 115200 s, rounded up
        Assert.Equal(999_999_999, clock.LastArrived(0, 86_805_555_555_555));
        Assert.Equal(1_000_000_000, clock.LastArrived(0, 86_805_555_555_556));
    }

    [Fact]
    public void An_idle_line_restarts_at_now_and_a_backlog_follows_back_to_back()
    {
        var clock = new LineClock(10_000, Nanoseconds, TimeSpan.FromMilliseconds(2));
        clock.BeginBatch(now: 0, backlogged: false);
        clock.TakeBytes(10); // busy until 10 ms
        Assert.Equal(10_000_000, clock.FreeAt);

        clock.BeginBatch(now: 50_000_000, backlogged: true); // the taker was late, but bytes were waiting
        Assert.Equal(0, clock.Anchor);
        Assert.Equal(11, clock.NextByte());

        clock.BeginBatch(now: 50_000_000, backlogged: false); // new bytes after the line went idle
        Assert.Equal(50_000_000, clock.Anchor);
        Assert.Equal(1, clock.NextByte());
        Assert.Equal(50_000_000 + 1_000_000 + 2_000_000, clock.DueOf(clock.Anchor, 1)); // 1 ms byte + 2 ms latency
    }

    [Fact]
    public void Nothing_has_arrived_before_the_latency_has_passed()
    {
        var clock = new LineClock(0, Nanoseconds, TimeSpan.FromMilliseconds(5));
        Assert.True(clock.Unlimited);
        Assert.True(clock.LastArrived(anchor: 100, now: 100 + 4_999_999) < 0);
        Assert.Equal(long.MaxValue, clock.LastArrived(anchor: 100, now: 100 + 5_000_000));
    }
}

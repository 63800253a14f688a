using System.IO.Pipelines;
using Csa.DataLink;

namespace Csa.Benchmarks.Updates;

/// <summary>
/// The host's end of an emulated line, watched (CSA_BENCH_LOG set): every write the host makes is noted with its time,
/// and <see cref="Report"/> replays them through a model of the line's transmitter (one byte every 10 bit times, 8N1) to
/// say when the host->device direction stood idle and for how long: where a row's time went on the wire.
/// </summary>
internal sealed class LineMonitor : ILinkTransport
{
    private readonly ILinkTransport _inner;
    private readonly WatchedWriter _output;

    public LineMonitor(ILinkTransport inner)
    {
        _inner = inner;
        _output = new WatchedWriter(inner.Output);
    }

    public string Name => _inner.Name;

    public PipeReader Input => _inner.Input;

    public PipeWriter Output => _output;

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    /// <summary>
    /// The host->device line's idle time between <paramref name="from"/> and <paramref name="to"/> (times on
    /// <see cref="StderrLog.Now"/>'s clock), and each idle stretch of at least <paramref name="shortest"/>.
    /// </summary>
    public (TimeSpan Idle, long Bytes, IReadOnlyList<(TimeSpan At, TimeSpan Length)> Gaps) Report(int baud, TimeSpan from, TimeSpan to, TimeSpan shortest)
    {
        (TimeSpan At, int Bytes)[] writes;
        lock (_output.Writes)
            writes = [.. _output.Writes];
        double byteTime = 10.0 / baud;
        double busyUntil = from.TotalSeconds, idle = 0;
        long bytes = 0;
        var gaps = new List<(TimeSpan, TimeSpan)>();
        foreach ((TimeSpan at, int count) in writes)
        {
            double t = at.TotalSeconds;
            if (t < from.TotalSeconds || t > to.TotalSeconds)
                continue;
            if (t > busyUntil)
            {
                idle += t - busyUntil;
                if (t - busyUntil >= shortest.TotalSeconds)
                    gaps.Add((TimeSpan.FromSeconds(busyUntil), TimeSpan.FromSeconds(t - busyUntil)));
                busyUntil = t;
            }
            busyUntil += count * byteTime;
            bytes += count;
        }
        if (to.TotalSeconds > busyUntil)
        {
            idle += to.TotalSeconds - busyUntil;
            if (to.TotalSeconds - busyUntil >= shortest.TotalSeconds)
                gaps.Add((TimeSpan.FromSeconds(busyUntil), TimeSpan.FromSeconds(to.TotalSeconds - busyUntil)));
        }
        return (TimeSpan.FromSeconds(idle), bytes, gaps);
    }

    private sealed class WatchedWriter(PipeWriter inner) : PipeWriter
    {
        private int _pending;

        public List<(TimeSpan At, int Bytes)> Writes { get; } = [];

        public override void Advance(int bytes)
        {
            _pending += bytes;
            inner.Advance(bytes);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (_pending > 0)
            {
                lock (Writes)
                    Writes.Add((StderrLog.Now, _pending));
                _pending = 0;
            }
            return inner.FlushAsync(cancellationToken);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);
    }
}

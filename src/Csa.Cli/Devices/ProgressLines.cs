using System.Collections.Concurrent;
using System.Globalization;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;

namespace Csa.Cli.Devices;

/// <summary>
/// Update progress as plain lines, for output that is not a terminal (CI logs, pipes): one line when a device's stage
/// changes, and while it transfers one line every <see cref="Interval"/> with its percent, bytes and rate, so a log shows
/// the transfer moving without a line per write.
/// </summary>
internal sealed class ProgressLines
{
    /// <summary>How often a transferring device gets a line by default.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<(DeviceUid, int), (UpdateStage Stage, long At)> _last = new();
    private readonly Func<DeviceUid, string> _label;
    private readonly Action<string> _write;
    private readonly TimeProvider _time;

    public ProgressLines(Func<DeviceUid, string> label, Action<string> write, TimeProvider time, TimeSpan interval)
    {
        _label = label;
        _write = write;
        _time = time;
        Interval = interval;
    }

    /// <summary>The time between two lines of one transferring device.</summary>
    public TimeSpan Interval { get; }

    /// <summary>Takes one report (from any thread) and writes a line when the stage changed or the interval passed.</summary>
    public void Report(UpdateProgress p)
    {
        long now = _time.GetTimestamp();
        var key = (p.Device, p.Step);
        bool due;
        lock (_last)
        {
            due = !_last.TryGetValue(key, out (UpdateStage Stage, long At) last) || last.Stage != p.Stage
                || (p.Stage == UpdateStage.Transferring && _time.GetElapsedTime(last.At, now) >= Interval);
            if (due)
                _last[key] = (p.Stage, now);
        }
        if (due)
            _write(Format(p, _label(p.Device)));
    }

    /// <summary>One line: <c>  LABEL: Stage (image 1/2) 37% 24576/65536 bytes, 12.3 KiB/s, resume 1</c>.</summary>
    public static string Format(UpdateProgress p, string label)
    {
        string image = p.StepCount > 1 ? $" (image {p.Step}/{p.StepCount})" : "";
        string bytes = p.Stage is UpdateStage.Transferring or UpdateStage.Verifying or UpdateStage.Done && p.BytesTotal > 0
            ? string.Create(CultureInfo.InvariantCulture, $" {Math.Floor(p.Fraction * 100):0}% {p.BytesDone}/{p.BytesTotal} bytes")
            : "";
        string rate = p.Stage == UpdateStage.Transferring && p.BytesPerSecond > 0
            ? string.Create(CultureInfo.InvariantCulture, $", {p.BytesPerSecond / 1024:0.0} KiB/s") + (p.EstimatedTimeLeft is { } left ? string.Create(CultureInfo.InvariantCulture, $", {left.TotalSeconds:0} s left") : "")
            : "";
        string resumed = p.ResumeCount > 0 ? $", resume {p.ResumeCount}" : "";
        return $"  {label}: {p.Stage}{image}{bytes}{rate}{resumed}";
    }
}

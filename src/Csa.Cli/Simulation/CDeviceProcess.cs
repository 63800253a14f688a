using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Csa.Cli.Simulation;

/// <summary>
/// One running csa-device process: the C firmware (firmware/apps/csa-device) as a simulated chip. It reports on standard
/// error where its upstream link is (<c>csa-device: upstream tcp://127.0.0.1:40123</c> or <c>... pty /dev/pts/4</c>),
/// when it is ready, what it starts and every power event; this class keeps those lines, follows the device's state
/// from them, and logs them. It is started with <c>--exit-with-stdin</c> and holds the pipe, so the device ends with
/// this process even when it is killed.
/// </summary>
internal sealed partial class CDeviceProcess : IAsyncDisposable
{
    private const string Prefix = "csa-device: ";
    private const int SigTerm = 15;

    /// <summary>SIGUSR1 (Linux): the C device cuts its power, tearing a flash operation in progress.</summary>
    private const int SigUsr1 = 10;

    /// <summary>SIGUSR2 (Linux): the C device reports its flash operations and flash busy time.</summary>
    private const int SigUsr2 = 12;

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _state = "Off";

    private CDeviceProcess(Process process, string name, ILogger logger)
    {
        _process = process;
        _name = name;
        _logger = logger;
    }

    /// <summary>The upstream link as the device named it: <c>tcp://HOST:PORT</c> or <c>pty /dev/pts/N</c>.</summary>
    public string Upstream { get; private set; } = string.Empty;

    /// <summary>The TCP port of a device whose upstream listens on TCP.</summary>
    public int UpstreamTcpPort => Upstream.StartsWith("tcp://", StringComparison.Ordinal)
        ? int.Parse(Upstream[(Upstream.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"{_name}: the upstream link is {Upstream}, not TCP");

    /// <summary>The pseudo-terminal a host opens, for a device whose upstream is a pty.</summary>
    public string UpstreamPtyPath => Upstream.StartsWith("pty ", StringComparison.Ordinal)
        ? Upstream[4..]
        : throw new InvalidOperationException($"{_name}: the upstream link is {Upstream}, not a pseudo-terminal");

    /// <summary>What runs, as the device's last report said: Bootloader, Application, Off, Bricked, or Ended.</summary>
    public string State
    {
        get
        {
            lock (_log)
                return _process.HasExited ? $"Ended (status {_process.ExitCode})" : _state;
        }
    }

    /// <summary>Everything the device said so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>Starts <paramref name="program"/> with <paramref name="arguments"/> and waits until it says it is ready.</summary>
    /// <exception cref="CliException">The device ended or refused its command line before it was ready.</exception>
    public static async Task<CDeviceProcess> StartAsync(string program, IEnumerable<string> arguments, string name, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true, // held open: --exit-with-stdin ends the device when this process goes
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--exit-with-stdin");
        var process = new Process { StartInfo = start };
        var device = new CDeviceProcess(process, name, logger);
        process.ErrorDataReceived += (_, e) => device.OnLine(e.Data);
        process.OutputDataReceived += (_, e) => device.OnLine(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw CliException.File($"cannot start the C device program {program}: {e.Message}", e);
        }
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await device._ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await device.DisposeAsync().ConfigureAwait(false);
            throw new CliException(ExitCodes.Failed, $"{name}: the C device did not start: {e.Message}\n{device.Log.TrimEnd()}", e);
        }
        catch
        {
            await device.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return device;
    }

    /// <summary>Cuts the device's power now (SIGUSR1); it comes back by itself after its <c>--power-off-ms</c>.</summary>
    public void CutPower()
    {
        lock (_log)
            _state = "Off"; // from now on, whatever the device has not reported yet
        Signal(SigUsr1);
    }

    /// <summary>
    /// The device's flash accounting so far (SIGUSR2, answered between two of its flash operations): the time its
    /// operations took on the chip's timing, its erases, its programs and the bytes they programmed.
    /// </summary>
    public async Task<CFlashReport> FlashReportAsync(CancellationToken cancellationToken)
    {
        const string busy = "flash busy ";
        int before = Count(busy);
        Signal(SigUsr2);
        while (Count(busy) == before)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{_name}: the C device ended before it reported its flash");
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
        string line;
        lock (_log)
            line = _log.ToString().Split('\n').Last(l => l.StartsWith(Prefix + busy, StringComparison.Ordinal));
        // "csa-device: flash busy 4051234 us: 3 erases, 290 programs of 262656 bytes"
        string[] words = line[(Prefix.Length + busy.Length)..].Split(' ', ':', ',').Where(w => w.Length > 0).ToArray();
        return new CFlashReport(TimeSpan.FromMicroseconds(long.Parse(words[0], CultureInfo.InvariantCulture)),
            long.Parse(words[2], CultureInfo.InvariantCulture), long.Parse(words[4], CultureInfo.InvariantCulture), long.Parse(words[7], CultureInfo.InvariantCulture));
    }

    private int Count(string report)
    {
        lock (_log)
            return _log.ToString().Split('\n').Count(l => l.StartsWith(Prefix + report, StringComparison.Ordinal));
    }

    /// <summary>Waits until the device runs something again after a power cut (or has ended).</summary>
    public async Task WaitUntilPoweredAsync(CancellationToken cancellationToken)
    {
        while (State == "Off")
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
    }

    private void Signal(int signal)
    {
        if (_process.HasExited)
            return;
        if (Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"{_name}: kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _ready.TrySetException(new InvalidOperationException("it ended before it was ready"));
            return;
        }
        lock (_log)
        {
            _log.AppendLine(line);
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
                Follow(line[Prefix.Length..]);
        }
        CDeviceLog.Said(_logger, _name, line);
    }

    /// <summary>The device's state from what it reports (chip.c's lines).</summary>
    private void Follow(string report)
    {
        if (report.StartsWith("upstream ", StringComparison.Ordinal) && Upstream.Length == 0)
        {
            Upstream = report["upstream ".Length..];
        }
        else if (report.StartsWith("ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
        else if (report.StartsWith("error", StringComparison.Ordinal))
        {
            _ready.TrySetException(new InvalidOperationException(report));
        }
        else if (report.StartsWith("pre-bootloader ", StringComparison.Ordinal))
        {
            _state = report.Contains("it starts the application", StringComparison.Ordinal) ? "Application" : "Bootloader";
        }
        else if (report.StartsWith("power cut", StringComparison.Ordinal))
        {
            _state = "Off";
        }
        else if (report.StartsWith("nothing to run", StringComparison.Ordinal))
        {
            _state = "Bricked";
        }
    }

    /// <summary>Ends the device (SIGTERM: it has nothing to save, its flash file is current after every operation).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                Signal(SigTerm);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill();
                    await _process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // never started, or already gone
        }
        _process.Dispose();
    }

    private static partial class CDeviceLog
    {
        [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "{Device}: {Line}")]
        public static partial void Said(ILogger logger, string device, string line);
    }
}

/// <summary>A C device's flash accounting (<see cref="CDeviceProcess.FlashReportAsync"/>).</summary>
/// <param name="Busy">The time its flash operations took, on the chip's timing.</param>
/// <param name="Erases">Sector or page erases.</param>
/// <param name="Programs">Program operations.</param>
/// <param name="ProgrammedBytes">Bytes those programmed.</param>
internal sealed record CFlashReport(TimeSpan Busy, long Erases, long Programs, long ProgrammedBytes);

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Csa.Firmware.Tests.Support;

/// <summary>
/// A running csa-device process (the C firmware on the POSIX port). It says on standard error where its links are
/// ("csa-device: upstream pty /dev/pts/4", "... tcp://127.0.0.1:40123") and when it is ready.
/// </summary>
internal sealed class CDevice : IAsyncDisposable
{
    private static readonly TimeSpan StartGuard = TimeSpan.FromSeconds(30); // a hang guard, not a performance bound

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CDevice(Process process)
    {
        _process = process;
    }

    /// <summary>The upstream link as the device named it.</summary>
    public string Upstream { get; private set; } = string.Empty;

    /// <summary>The pseudo-terminal path of a <c>--upstream pty</c> device.</summary>
    public string PtyPath => Upstream.StartsWith("pty ", StringComparison.Ordinal) ? Upstream[4..] : throw new InvalidOperationException($"upstream is {Upstream}");

    /// <summary>The TCP port of a <c>--upstream tcp-listen:...</c> device.</summary>
    public int TcpPort => Upstream.StartsWith("tcp://", StringComparison.Ordinal)
        ? int.Parse(Upstream[(Upstream.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"upstream is {Upstream}");

    /// <summary>Everything the process said so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>The process id (for signals).</summary>
    public int ProcessId => _process.Id;

    /// <summary>The exit status, once the process ended.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Sends a signal: SIGUSR1 cuts the device's power, SIGUSR2 makes it print its flash operations, SIGTERM ends it.</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited && Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    public const int SigUsr1 = 10;
    public const int SigUsr2 = 12;
    public const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Waits until the device has said a line containing <paramref name="text"/> <paramref name="count"/> times in all.</summary>
    public async Task WaitForLogAsync(string text, int count, CancellationToken cancellationToken)
    {
        while (CountInLog(text) < count)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(cancellationToken);
                if (CountInLog(text) >= count)
                    return;
                throw new InvalidOperationException($"csa-device ended (status {_process.ExitCode}) before it said '{text}' {count} times:\n{Log}");
            }
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>How many lines the device said that contain <paramref name="text"/>.</summary>
    public int CountInLog(string text)
    {
        lock (_log)
            return _log.ToString().Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
    }

    /// <summary>Its flash operations so far (SIGUSR2, then the line it prints).</summary>
    public async Task<long> FlashOperationsAsync(CancellationToken cancellationToken)
    {
        const string prefix = "csa-device: flash operations ";
        int before = CountInLog(prefix);
        Signal(SigUsr2);
        await WaitForLogAsync(prefix, before + 1, cancellationToken);
        lock (_log)
        {
            string line = _log.ToString().Split('\n').Last(l => l.StartsWith(prefix, StringComparison.Ordinal));
            return long.Parse(line[prefix.Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>
    /// What its data link forwarded and dropped since the program started (SIGUSR2, then the line it prints), by name:
    /// <c>forwarded</c>, <c>cut-through</c> (of them passed on while they arrived, protocol.md 6.3.1), <c>poisoned</c>
    /// (passed on and ended poisoned or aborted), <c>crc-mismatch</c>, <c>malformed</c> (runs it dropped).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, long>> DataLinkCountersAsync(CancellationToken cancellationToken)
    {
        const string prefix = "csa-device: data link ";
        int before = CountInLog(prefix);
        Signal(SigUsr2);
        await WaitForLogAsync(prefix, before + 1, cancellationToken);
        string line;
        lock (_log)
            line = _log.ToString().Split('\n').Last(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line[prefix.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(kv => kv[0], kv => long.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Ends the device as SIGTERM does (it saves nothing more: its flash file is current after every operation).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Signal(SigTerm);
        await _process.WaitForExitAsync(cancellationToken);
    }

    public static async Task<CDevice> StartAsync(params string[] arguments)
    {
        string program = await FirmwareBuild.DeviceProgramAsync();
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start };
        var device = new CDevice(process);
        process.ErrorDataReceived += (_, e) => device.OnLine(e.Data);
        process.OutputDataReceived += (_, e) => device.OnLine(e.Data);
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await device._ready.Task.WaitAsync(StartGuard);
        }
        catch (TimeoutException)
        {
            await device.DisposeAsync();
            throw new InvalidOperationException($"csa-device did not get ready:\n{device.Log}");
        }

        return device;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            _ready.TrySetException(new InvalidOperationException($"csa-device ended before it was ready:\n{Log}"));
            return;
        }

        lock (_log)
            _log.AppendLine(line);
        if (line.StartsWith("csa-device: upstream ", StringComparison.Ordinal) && Upstream.Length == 0)
            Upstream = line["csa-device: upstream ".Length..];
        if (line.StartsWith("csa-device: ready", StringComparison.Ordinal))
            _ready.TrySetResult();
        if (line.StartsWith("csa-device: error", StringComparison.Ordinal))
            _ready.TrySetException(new InvalidOperationException(line));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill();
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // never started
        }

        _process.Dispose();
    }
}

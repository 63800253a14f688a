using System.Diagnostics;
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

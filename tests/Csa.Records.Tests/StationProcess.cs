using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Csa.Records.Tests;

/// <summary>
/// A production station as a separate process: the built <c>csa</c> tool (<c>dotnet csa.dll provision ...</c>) against
/// its own <c>sim:</c> devices, writing to the shared PostgreSQL database with the password in <c>PGPASSWORD</c> (never
/// on its command line).
/// </summary>
internal sealed class StationProcess : IAsyncDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(4);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();

    private StationProcess(Process process, string name, string[] arguments)
    {
        _process = process;
        Name = name;
        Arguments = arguments;
    }

    public string Name { get; }

    public string[] Arguments { get; }

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
                return _error.ToString();
        }
    }

    public JsonElement Json() => JsonDocument.Parse(Output).RootElement;

    /// <summary>
    /// Stops the station where it is (SIGSTOP), as a scheduler that gave it no time would: what happens to the world
    /// meanwhile (a database going away) it learns only when it runs again (<see cref="Thaw"/>). Linux only.
    /// </summary>
    public void Freeze() => Signal(SIGSTOP);

    /// <summary>Lets a frozen station run again (SIGCONT).</summary>
    public void Thaw() => Signal(SIGCONT);

    private const int SIGCONT = 18;
    private const int SIGSTOP = 19;

    private void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static StationProcess Start(string name, string password, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "csa.dll"));
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["PGPASSWORD"] = password;
        start.Environment.Remove("CSA_RECORDS");
        start.Environment.Remove("CSA_STATION");
        start.Environment.Remove("CSA_OPERATOR");
        var process = new Process { StartInfo = start };
        var station = new StationProcess(process, name, arguments);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (station._output)
                    station._output.AppendLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (station._error)
                    station._error.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return station;
    }

    /// <summary>Waits for the process to end (killing it after the hang guard, which fails the test).</summary>
    public async Task WaitAsync()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        try
        {
            await _process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"station {Name} did not end: {this}");
        }
        _process.WaitForExit(); // drains the output events
    }

    public override string ToString() => $"station {Name}: csa {string.Join(' ', Arguments)}\nexit {(_process.HasExited ? _process.ExitCode : -1)}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

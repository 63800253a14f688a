using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary><c>csa sim --pty</c> in a child process, driven over its pseudo-terminal by <c>csa update</c> in this one.</summary>
public sealed class CrossProcessTests : IDisposable
{
    private readonly string _directory = DeviceTestKit.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task SimOnAPty_UpdatedByAnotherProcess_RunsTheNewVersion()
    {
        if (!OperatingSystem.IsLinux())
            return; // Pseudo-terminals are Linux-only; nothing to test elsewhere.
        await using SimProcess sim = await SimProcess.StartAsync(_directory, "--devices", "2", "--flash-timing", "instant");
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(_directory, "app.csai"), sim.SigningKey, 1, new FirmwareVersion(5, 0, 0, 0));

        CliRun update = await CliRunner.RunAsync(["update", image, "--link", sim.Link, "--device", "0x02"], TimeSpan.FromSeconds(60), sim.HangGuard);
        Assert.True(update.ExitCode == ExitCodes.Success, update + sim.Errors);

        CliRun info = await CliRunner.RunAsync(["info", "--json", "--link", sim.Link], TimeSpan.FromSeconds(60), sim.HangGuard);
        Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
        JsonElement[] devices = info.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(2, devices.Length);
        Assert.Equal("1.0.0+0", devices[0].GetProperty("application").GetString());
        Assert.Equal("5.0.0+0", devices[1].GetProperty("application").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task SimOnAPty_PowerCutBySignalDuringAnUpdate_TheUpdateStillEndsOnTheNewVersion()
    {
        if (!OperatingSystem.IsLinux())
            return;
        // An L4 with datasheet timing: 200 KB are about 100 page erases and 25,600 double-word programs (some 4 s), so the
        // transfer lasts long enough for the cut; its short worst-case erase keeps the host's fault detection quick.
        await using SimProcess sim = await SimProcess.StartAsync(_directory, "--family", "l4", "--flash-timing", "typical", "--power-off-time", "200ms");
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(_directory, "big.csai"), sim.SigningKey, 0, new FirmwareVersion(6, 0, 0, 0),
            family: Csa.Simulator.Flash.FlashFamily.Stm32L4, size: 200 * 1024);

        // The update runs in this process with its plain progress lines watched: the signal goes once the first write
        // was acknowledged, so the cut lands in the transfer.
        var output = new WatchedWriter("Transferring");
        var error = new StringWriter();
        Task<int> update = CsaApp.RunAsync(["update", image, "--link", sim.Link], CliConsole.FromWriters(output, error), sim.HangGuard);
        await output.Seen.WaitAsync(sim.HangGuard);
        sim.SendSigUsr1();
        int code = await update;
        Assert.True(code == ExitCodes.Success, $"exit {code}\n{output}\n{error}\n{sim.Errors}");
        Assert.Contains("resume 1", output.ToString());
        Assert.Contains("power cut (SIGUSR1)", sim.Errors);

        CliRun info = await CliRunner.RunAsync(["info", "--json", "--link", sim.Link], TimeSpan.FromSeconds(60), sim.HangGuard);
        Assert.Equal("6.0.0+0", info.Json().GetProperty("devices")[0].GetProperty("application").GetString());
    }

    /// <summary>The built csa (csa.dll beside the tests) running <c>sim --pty --json</c>; killed on dispose.</summary>
    private sealed class SimProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _errors = new();
        private readonly CancellationTokenSource _hangGuard = new(TimeSpan.FromSeconds(120));

        private SimProcess(Process process)
        {
            _process = process;
        }

        public string Link { get; private set; } = "";

        public string SigningKey { get; private set; } = "";

        public CancellationToken HangGuard => _hangGuard.Token;

        public string Errors
        {
            get
            {
                lock (_errors)
                    return _errors.ToString();
            }
        }

        public static async Task<SimProcess> StartAsync(string directory, params string[] options)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "csa.dll"), "sim", "--pty", "--json", "--state", Path.Combine(directory, "state") }.Concat(options))
                start.ArgumentList.Add(arg);
            var sim = new SimProcess(Process.Start(start)!);
            try
            {
                sim._process.ErrorDataReceived += (_, e) =>
                {
                    lock (sim._errors)
                        sim._errors.AppendLine(e.Data);
                };
                sim._process.BeginErrorReadLine();
                // The child prints one JSON document (indented over several lines) once its devices run.
                var text = new StringBuilder();
                while (true)
                {
                    string? line = await sim._process.StandardOutput.ReadLineAsync(sim.HangGuard);
                    Assert.True(line is not null, $"csa sim ended early: {sim.Errors}");
                    text.AppendLine(line);
                    if (line == "}")
                        break;
                }
                JsonElement announced = JsonDocument.Parse(text.ToString()).RootElement.Clone();
                string uri = announced.GetProperty("endpoints")[0].GetProperty("uri").GetString()!;
                Assert.StartsWith("serial:/dev/", uri);
                sim.Link = uri + "?baud=115200";
                sim.SigningKey = announced.GetProperty("signingKey").GetString()!;
                return sim;
            }
            catch
            {
                await sim.DisposeAsync();
                throw;
            }
        }

        public void SendSigUsr1()
        {
            using Process kill = Process.Start("kill", ["-USR1", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            Assert.Equal(0, kill.ExitCode);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
            _process.Dispose();
            _hangGuard.Dispose();
        }
    }
}

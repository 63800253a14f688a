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

    /// <summary>
    /// A chain of C#, C, C# devices served by <c>csa sim --c-device 1</c> (the C firmware in a csa-device process, built from
    /// firmware/ by the tool): the C device is found in its place, its application and then its bootloader (through copy
    /// B) are updated by <c>csa update</c> in this process, it comes back from a power cut of the whole chain by SIGUSR1 on
    /// its flash, and a second <c>csa sim</c> on the same state folder starts it from its flash file as it was left.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task SimWithACDeviceInAChain_ItsApplicationAndBootloaderAreUpdated_AndItKeepsThemAcrossAPowerCutAndARestart()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string[] options = ["--devices", "3", "--c-device", "1", "--flash-timing", "instant", "--power-off-time", "200ms"];
        string application, bootloader;
        await using (SimProcess sim = await SimProcess.StartAsync(_directory, options))
        {
            Assert.Equal(["csharp", "c", "csharp"], sim.Announced.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("firmware").GetString()));
            application = await DeviceTestKit.WriteImageAsync(Path.Combine(_directory, "app.csai"), sim.SigningKey, 1, new FirmwareVersion(5, 0, 0, 0), size: 40_000);
            bootloader = await DeviceTestKit.WriteImageAsync(Path.Combine(_directory, "bl.csai"), sim.SigningKey, 1, new FirmwareVersion(1, 2, 0, 0), bootloader: true, size: 20_000);

            CliRun app = await CliRunner.RunAsync(["update", application, "--link", sim.Link, "--device", "0x02"], TimeSpan.FromSeconds(90), sim.HangGuard);
            Assert.True(app.ExitCode == ExitCodes.Success, app + sim.Errors);
            CliRun bl = await CliRunner.RunAsync(["update", bootloader, "--bootloader", "--link", sim.Link, "--device", "0x02"], TimeSpan.FromSeconds(90), sim.HangGuard);
            Assert.True(bl.ExitCode == ExitCodes.Success, bl + sim.Errors);
            AssertChain(await InfoAsync(sim), sim);

            sim.SendSigUsr1();
            Assert.True(await sim.WaitForErrorAsync("power on:"), sim.Errors);
            AssertChain(await InfoAsync(sim), sim);
        }

        await using (SimProcess again = await SimProcess.StartAsync(_directory, options))
            AssertChain(await InfoAsync(again), again);

        static async Task<JsonElement[]> InfoAsync(SimProcess sim)
        {
            CliRun info = await CliRunner.RunAsync(["info", "--json", "--link", sim.Link], TimeSpan.FromSeconds(60), sim.HangGuard);
            Assert.True(info.ExitCode == ExitCodes.Success, info + sim.Errors);
            return info.Json().GetProperty("devices").EnumerateArray().ToArray();
        }

        static void AssertChain(JsonElement[] devices, SimProcess sim)
        {
            Assert.True(devices.Length == 3, sim.Errors);
            Assert.Equal(["1.0.0+0", "5.0.0+0", "1.0.0+0"], devices.Select(d => d.GetProperty("application").GetString()));
            Assert.Equal("1.2.0+0", devices[1].GetProperty("bootloader").GetString());
            Assert.Equal("B", devices[1].GetProperty("activeBootloader").GetString());
            Assert.Equal("Csa C STM32F4 #1", devices[1].GetProperty("product").GetString());
        }
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

        /// <summary>The JSON document the simulation printed when its devices ran.</summary>
        public JsonElement Announced { get; private set; }

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
                sim.Announced = announced;
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

        /// <summary>Waits until the simulation said <paramref name="text"/> on standard error (true), or ended (false).</summary>
        public async Task<bool> WaitForErrorAsync(string text)
        {
            while (!Errors.Contains(text, StringComparison.Ordinal))
            {
                if (_process.HasExited)
                    return false;
                await Task.Delay(20, HangGuard);
            }
            return true;
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

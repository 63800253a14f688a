using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary><c>csa sim</c> in-process: its options, and serving on TCP until cancelled.</summary>
public sealed class SimTests
{
    [Theory]
    [InlineData("sim")]
    [InlineData("sim --pty --tcp 0")]
    [InlineData("sim --tcp 70000")]
    [InlineData("sim --tcp 0 --devices 2 --topology single")]
    [InlineData("sim --tcp 0 --family h7")]
    [InlineData("sim --tcp 0 --host localhost:1")]
    [InlineData("sim --tcp 0 --devices 2 --c-device 2")]
    [InlineData("sim --tcp 0 --devices 2 --c-device x")]
    public async Task Sim_BadOptions_AreUsageErrors(string commandLine)
    {
        CliRun run = await CliRunner.RunAsync(commandLine.Split(' '));
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Single(DeviceTestKit.Lines(run.Error));
    }

    [Fact]
    public async Task Sim_MissingKeyFile_IsAFileError()
    {
        CliRun run = await CliRunner.RunAsync("sim", "--tcp", "0", "--key", "/nonexistent/key.pem");
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
    }

    [Fact]
    public async Task Sim_ACDeviceProgramThatDoesNotExist_IsAFileError()
    {
        CliRun run = await CliRunner.RunAsync("sim", "--tcp", "0", "--c-device", "0", "--c-device-program", "/nonexistent/csa-device");
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
        Assert.Contains("/nonexistent/csa-device", run.Error);
    }

    /// <summary>A star of a C device and a C# device on TCP: each serves its own endpoint, the C device's its own listener.</summary>
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Sim_TcpStarWithACDevice_EveryDeviceAnswersOnItsEndpoint()
    {
        string directory = DeviceTestKit.NewDirectory();
        try
        {
            var output = new WatchedWriter("signingKey");
            var error = new StringWriter();
            using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            Task<int> sim = CsaApp.RunAsync(["sim", "--json", "--tcp", "0", "--devices", "2", "--topology", "star", "--c-device", "0",
                "--flash-timing", "instant", "--state", directory], CliConsole.FromWriters(output, error), stop.Token);
            await Task.WhenAny(output.Seen, sim);
            Assert.False(sim.IsCompleted, $"{output}\n{error}");
            JsonElement document = JsonDocument.Parse(output.ToString()).RootElement;
            JsonElement[] endpoints = document.GetProperty("endpoints").EnumerateArray().ToArray();
            Assert.Equal(["c", "csharp"], document.GetProperty("devices").EnumerateArray().Select(d => d.GetProperty("firmware").GetString()));
            for (int i = 0; i < 2; i++)
            {
                CliRun info = await CliRunner.RunAsync(["info", "--json", "--link", endpoints[i].GetProperty("uri").GetString()!], TimeSpan.FromSeconds(60), stop.Token);
                Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
                JsonElement device = Assert.Single(info.Json().GetProperty("devices").EnumerateArray().ToArray());
                Assert.Equal(endpoints[i].GetProperty("devices")[0].GetString(), device.GetProperty("uid").GetString());
                Assert.Equal(i == 0 ? "Csa C STM32F4 #0" : "Csa virtual STM32F4 #1", device.GetProperty("product").GetString());
            }
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Success, await sim);
            Assert.True(File.Exists(Path.Combine(directory, "device-0.flash")), "the C device keeps its flash in the state folder");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Sim_TcpStar_PrintsOneEndpointPerDevice_AndStopsCleanlyWhenCancelled()
    {
        string directory = DeviceTestKit.NewDirectory();
        try
        {
            // Cancelling is the Ctrl+C of a test: the simulation then stops and exits 0.
            CliRun run = await DeviceTestKit.RunUntilReadyAsync("signingKey", "sim", "--json", "--tcp", "0", "--devices", "2", "--topology", "star",
                "--flash-timing", "instant", "--state", directory);
            Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
            JsonElement document = run.Json();
            JsonElement[] endpoints = document.GetProperty("endpoints").EnumerateArray().ToArray();
            Assert.Equal(2, endpoints.Length);
            Assert.All(endpoints, e => Assert.StartsWith("tcp://127.0.0.1:", e.GetProperty("uri").GetString()));
            Assert.True(File.Exists(document.GetProperty("signingKey").GetString()));
            Assert.True(File.Exists(Path.Combine(directory, "device-1.flash")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Sim_FlashFile_PersistsEveryDeviceAndTheKeysBesideIt_AndLoadsThemAgain()
    {
        string directory = DeviceTestKit.NewDirectory();
        try
        {
            string flash = Path.Combine(directory, "bench.flash");
            string[] args = ["sim", "--tcp", "0", "--devices", "2", "--flash-timing", "instant", "--flash", flash];
            for (int run = 0; run < 2; run++)
            {
                CliRun result = await DeviceTestKit.RunUntilReadyAsync("Ctrl+C stops", args);
                Assert.True(result.ExitCode == ExitCodes.Success, result.ToString());
                Assert.Contains($"signing key: {flash}.signing-key.pem", result.Output);
                Assert.Contains($"stopped; flash saved in {flash}", result.Output);
            }
            Assert.True(File.Exists(flash));
            Assert.True(File.Exists(flash + ".1"));
            Assert.True(File.Exists(flash + ".identity-1.pem"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

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

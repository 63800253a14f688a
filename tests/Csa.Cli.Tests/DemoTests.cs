using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary><c>csa demo</c>, the README's main command: a chain of three virtual devices updated end to end.</summary>
public sealed class DemoTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Demo_Json_EveryDeviceRunsItsNewVersion()
    {
        // The default cables (921600 baud emulated UARTs); instant flash so the test does not wait for erase times.
        CliRun run = await CliRunner.RunAsync(["demo", "--json", "--flash-timing", "instant"], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement document = run.Json();
        Assert.True(document.GetProperty("succeeded").GetBoolean());
        JsonElement[] devices = document.GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(3, devices.Length);
        Assert.All(devices, d =>
        {
            Assert.True(d.GetProperty("verified").GetBoolean());
            Assert.Equal("1.0.0+0", d.GetProperty("applicationBefore").GetString());
            Assert.Equal("2.0.0+0", d.GetProperty("applicationAfter").GetString());
            Assert.True(d.GetProperty("bytes").GetInt64() > 0);
        });
        Assert.Equal("1.1.0+0", devices[0].GetProperty("bootloaderAfter").GetString());
        Assert.Equal("B", devices[0].GetProperty("activeBootloader").GetString());
        Assert.Equal("1.0.0+0", devices[1].GetProperty("bootloaderAfter").GetString());
        Assert.Equal(4, document.GetProperty("updates").GetArrayLength());
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Demo_Text_PrintsProgressAndTheSummaryTable()
    {
        CliRun run = await CliRunner.RunAsync(["demo", "--baud", "0", "--flash-timing", "instant", "--app-size", "4096"], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Transferring", run.Output);
        Assert.Contains("All 3 devices run their new firmware", run.Output);
        Assert.Equal("", run.Error);
    }

    [Theory]
    [InlineData("--app-size", "12")]
    [InlineData("--flash-timing", "glacial")]
    [InlineData("--baud", "-1")]
    public async Task Demo_BadOption_IsAUsageError(string option, string value)
    {
        CliRun run = await CliRunner.RunAsync("demo", option, value);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Single(DeviceTestKit.Lines(run.Error));
    }
}

using System.Text.Json;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa demo</c>, the README's main command: a chain of three devices updated end to end, device 1 running the C
/// firmware (built from firmware/ with CMake, which .ci/run installs: these tests require it, they never skip it).
/// </summary>
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
        Assert.False(document.TryGetProperty("cDeviceLeftOut", out _), "the C device was left out"); // null members are not written
        Assert.Equal(["csharp", "c", "csharp"], devices.Select(d => d.GetProperty("firmware").GetString()));
        // Device 0 (C#) and device 1 (C) took a new bootloader through copy B; device 2 kept its own.
        foreach (JsonElement updated in devices[..2])
        {
            Assert.Equal("1.1.0+0", updated.GetProperty("bootloaderAfter").GetString());
            Assert.Equal("B", updated.GetProperty("activeBootloader").GetString());
        }
        Assert.Equal("1.0.0+0", devices[2].GetProperty("bootloaderAfter").GetString());
        Assert.Equal("A", devices[2].GetProperty("activeBootloader").GetString());
        Assert.Equal(5, document.GetProperty("updates").GetArrayLength());
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Demo_Text_PrintsProgressAndTheSummaryTable()
    {
        // The C firmware as the encrypted, device-bound STM32L4 (device 2): it decrypts its application and bootloader
        // while writing them, with the identity key in its key storage.
        CliRun run = await CliRunner.RunAsync(["demo", "--baud", "0", "--flash-timing", "instant", "--app-size", "4096", "--c-device", "2"], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("Transferring", run.Output);
        Assert.Contains("All 3 devices run their new firmware", run.Output);
        Assert.Contains("device 2 on the C firmware", run.Output);
        Assert.Equal("", run.Error);
    }

    /// <summary>
    /// On a machine without cmake the C device cannot be built: the demo says so on standard error and in its JSON, and
    /// runs the chain with the C# device in its place (the only case in which it leaves the C device out).
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Demo_WithoutCmake_SaysItLeavesTheCDeviceOut_AndRunsTheChainWithoutIt()
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : Environment.ProcessPath!;
        var start = new System.Diagnostics.ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "csa.dll"), "demo", "--json", "--flash-timing", "instant", "--baud", "0", "--app-size", "4096" })
            start.ArgumentList.Add(arg);
        // A PATH that holds the dotnet host and nothing else: no cmake, no compiler.
        start.Environment["PATH"] = Path.GetDirectoryName(dotnet)!;
        start.Environment.Remove("CSA_DEVICE_PROGRAM");
        using var process = System.Diagnostics.Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(guard.Token);
        var run = new CliRun(process.ExitCode, await output, await error);

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Contains("csa: warning: the chain runs without its C device: cmake is not installed", run.Error);
        JsonElement document = run.Json();
        Assert.Contains("cmake", document.GetProperty("cDeviceLeftOut").GetString());
        Assert.All(document.GetProperty("devices").EnumerateArray(), d => Assert.Equal("csharp", d.GetProperty("firmware").GetString()));
    }

    [Fact]
    public async Task Demo_ACDeviceProgramThatDoesNotExist_IsAFileError()
    {
        CliRun run = await CliRunner.RunAsync("demo", "--c-device-program", "/nonexistent/csa-device");
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
        Assert.Contains("/nonexistent/csa-device", run.Error);
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

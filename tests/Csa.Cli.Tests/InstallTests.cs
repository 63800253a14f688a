using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Cli.Simulation;
using Csa.Simulator.Flash;

namespace Csa.Cli.Tests;

/// <summary><c>csa install</c>: production install of many devices from one image or a directory of per-device images.</summary>
public sealed class InstallTests : PersistedBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task Install_OneImage_OnEveryDeviceOfAChain_Succeeds()
    {
        string link = await CreateAsync(3);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 0, new FirmwareVersion(3, 0, 0, 0));
        CliRun run = await CliRunner.RunAsync("install", image, "--link", link, "--parallel", "3", "--expect", "3");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(3, DeviceTestKit.Lines(run.Output).Count(l => l.Contains("3.0.0", StringComparison.Ordinal) && l.Contains("ok", StringComparison.Ordinal)));
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Install_Directory_PerDeviceImages_OneBadRow_OthersInstalledAndExitNonZero()
    {
        string link = await CreateAsync(3);
        string images = Path.Combine(Scratch, "images");
        Directory.CreateDirectory(images);
        await DeviceTestKit.WriteImageAsync(Path.Combine(images, $"{VirtualFleet.UidFor(FlashFamily.Stm32F4, 0)}.csai"), KeyFile, 0, new FirmwareVersion(4, 0, 0, 0));
        await DeviceTestKit.WriteImageAsync(Path.Combine(images, $"{VirtualFleet.UidFor(FlashFamily.Stm32F4, 1)}.csai"), DeviceTestKit.ForeignKey(Scratch), 1, new FirmwareVersion(4, 0, 0, 0));
        await DeviceTestKit.WriteImageAsync(Path.Combine(images, "default.csai"), KeyFile, 2, new FirmwareVersion(4, 0, 0, 1));

        CliRun run = await CliRunner.RunAsync("install", images, "--json", "--link", link);
        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        JsonElement document = run.Json();
        Assert.False(document.GetProperty("succeeded").GetBoolean());
        JsonElement[] rows = document.GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(3, rows.Length);
        Assert.True(rows[0].GetProperty("succeeded").GetBoolean());
        Assert.Equal("4.0.0+0", rows[0].GetProperty("versionAfter").GetString());
        Assert.False(rows[1].GetProperty("succeeded").GetBoolean());
        Assert.Equal(ExitCodes.Rejected, rows[1].GetProperty("exitCode").GetInt32());
        Assert.True(rows[2].GetProperty("succeeded").GetBoolean());
        Assert.Equal("4.0.0+1", rows[2].GetProperty("versionAfter").GetString());
        Assert.Single(DeviceTestKit.Lines(run.Error));
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task Install_ExpectMismatch_InstallsNothing()
    {
        string link = await CreateAsync(2);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 0, new FirmwareVersion(3, 0, 0, 0));
        CliRun run = await CliRunner.RunAsync("install", image, "--link", link, "--expect", "3");
        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        CliRun info = await CliRunner.RunAsync("devices", "--json", "--link", link);
        Assert.All(info.Json().GetProperty("devices").EnumerateArray(), d => Assert.Equal("1.0.0+0", d.GetProperty("application").GetString()));
    }

    [Fact]
    public async Task Install_EmptyDirectory_IsAFileError()
    {
        string empty = Path.Combine(Scratch, "empty");
        Directory.CreateDirectory(empty);
        CliRun run = await CliRunner.RunAsync("install", empty, "--link", DeviceTestKit.Sim());
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
    }

    [Fact]
    public async Task Install_ZeroParallel_IsAUsageError()
    {
        CliRun run = await CliRunner.RunAsync("install", Scratch, "--link", DeviceTestKit.Sim(), "--parallel", "0");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }
}

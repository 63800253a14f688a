using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa reset</c>: into the bootloader and back, and bad selections. Against a persisted in-process simulation: each command is a fresh run of the tool, so
/// the next command sees what the last one left in flash.
/// </summary>
public sealed class ResetCommandTests : PersistedBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Reset_IntoTheBootloader_StaysThere_UntilAResetStartsTheApplication()
    {
        string link = await CreateAsync(2);

        CliRun down = await CliRunner.RunAsync("reset", "--bootloader", "--json", "--link", link, "--device", "0x02");
        Assert.True(down.ExitCode == ExitCodes.Success, down.ToString());
        JsonElement row = Assert.Single(down.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.Equal("bootloader", row.GetProperty("running").GetString());
        Assert.Equal("requested", row.GetProperty("stayReason").GetString());

        // A later command (a new process would do the same) still finds it in its bootloader: the request persists.
        JsonElement[] devices = (await CliRunner.RunAsync("devices", "--json", "--link", link)).Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal("application", devices[0].GetProperty("running").GetString());
        Assert.Equal("bootloader", devices[1].GetProperty("running").GetString());

        CliRun up = await CliRunner.RunAsync("reset", "--json", "--link", link, "--all");
        Assert.True(up.ExitCode == ExitCodes.Success, up.ToString());
        Assert.All(up.Json().GetProperty("devices").EnumerateArray(), d => Assert.Equal("application", d.GetProperty("running").GetString()));
        Assert.Equal("application", up.Json().GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Reset_WithSeveralDevicesAndNoChoice_IsAUsageError_ThatListsThem_AndResetsNothing()
    {
        string link = await CreateAsync(2);
        CliRun run = await CliRunner.RunAsync("reset", "--bootloader", "--link", link);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("2 devices found", run.Error);
        Assert.Contains("--all", run.Error);
        JsonElement[] devices = (await CliRunner.RunAsync("devices", "--json", "--link", link)).Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.All(devices, d => Assert.Equal("application", d.GetProperty("running").GetString()));
    }

    [Fact]
    public async Task Reset_ADeviceThatDidNotAnswer_IsExit5_WithADocument()
    {
        string link = await CreateAsync(1);
        CliRun run = await CliRunner.RunAsync("reset", "--json", "--link", link, "--device", "0x07");
        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Equal("unreachable", run.Json().GetProperty("error").GetProperty("code").GetString());
    }
}

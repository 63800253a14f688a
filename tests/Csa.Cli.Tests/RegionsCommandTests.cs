using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa regions</c>: every region with its state, version and hash, read while the application runs. Against a persisted in-process simulation: each command is a fresh run of the tool, so
/// the next command sees what the last one left in flash.
/// </summary>
public sealed class RegionsCommandTests : PersistedBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task Regions_WhileTheApplicationRuns_ListsEveryRegionWithItsHash_AndTheApplicationRunsAgain()
    {
        string link = await CreateAsync(2);
        CliRun run = await CliRunner.RunAsync("regions", "--hash", "--json", "--link", link);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement[] devices = run.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(2, devices.Length);
        foreach (JsonElement device in devices)
        {
            Assert.Equal("application", device.GetProperty("runningBefore").GetString());
            Assert.Equal("application", device.GetProperty("running").GetString());
            string[] names = device.GetProperty("regions").EnumerateArray().Select(r => r.GetProperty("region").GetString()!).ToArray();
            Assert.Equal(["preBootloader", "bootloaderA", "bootloaderB", "application"], names);
            JsonElement application = device.GetProperty("regions")[3];
            Assert.Equal("valid", application.GetProperty("state").GetString());
            Assert.Equal("1.0.0+0", application.GetProperty("version").GetString());
            Assert.Equal(64, application.GetProperty("sha256").GetString()!.Length);
        }
        // The factory programmed both devices alike: their regions hold the same bytes.
        Assert.Equal(devices[0].GetProperty("regions")[3].GetProperty("sha256").GetString(), devices[1].GetProperty("regions")[3].GetProperty("sha256").GetString());

        // An update changes the application region's bytes, and so its hash; the other device keeps its own.
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 1, new FirmwareVersion(2, 0, 0, 0));
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("update", image, "--link", link, "--device", "0x02")).ExitCode);
        JsonElement[] after = (await CliRunner.RunAsync("regions", "--hash", "--json", "--link", link)).Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(devices[0].GetProperty("regions")[3].GetProperty("sha256").GetString(), after[0].GetProperty("regions")[3].GetProperty("sha256").GetString());
        Assert.NotEqual(devices[1].GetProperty("regions")[3].GetProperty("sha256").GetString(), after[1].GetProperty("regions")[3].GetProperty("sha256").GetString());
        Assert.Equal("2.0.0+0", after[1].GetProperty("regions")[3].GetProperty("version").GetString());
    }

    [Fact]
    public async Task Regions_BadLinks_AreTypedErrors_WithADocument()
    {
        CliRun malformed = await CliRunner.RunAsync("regions", "--json", "--link", "sim:?devices=99");
        Assert.Equal(ExitCodes.Usage, malformed.ExitCode);
        Assert.Equal("usage", malformed.Json().GetProperty("error").GetProperty("code").GetString());

        // Port 1 refuses at once: unreachable, not a hang.
        CliRun refused = await CliRunner.RunAsync("regions", "--json", "--link", "tcp://127.0.0.1:1");
        Assert.Equal(ExitCodes.Unreachable, refused.ExitCode);
        Assert.Single(DeviceTestKit.Lines(refused.Error));
    }

    /// <summary>The SHA-256 of the application region of the only device, as <c>csa regions --hash</c> reports it.</summary>
    internal static async Task<string> ApplicationHashAsync(string link)
    {
        CliRun run = await CliRunner.RunAsync("regions", "--hash", "--json", "--link", link);
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        return run.Json().GetProperty("devices")[0].GetProperty("regions")[3].GetProperty("sha256").GetString()!;
    }
}

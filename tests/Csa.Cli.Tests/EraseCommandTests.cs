using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa erase --authorize IMAGE</c>: through the bootloader, only for an image the device accepts. Against a persisted in-process simulation: each command is a fresh run of the tool, so
/// the next command sees what the last one left in flash.
/// </summary>
public sealed class EraseCommandTests : PersistedBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Erase_WithAnImageTheDeviceAccepts_LeavesItInItsBootloader_AndAnUpdateBringsItBack()
    {
        string link = await CreateAsync(1);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 0, new FirmwareVersion(3, 0, 0, 0));

        CliRun erase = await CliRunner.RunAsync("erase", "--authorize", image, "--json", "--link", link);
        Assert.True(erase.ExitCode == ExitCodes.Success, erase.ToString());
        JsonElement row = Assert.Single(erase.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.NotEqual("valid", row.GetProperty("application").GetString());
        Assert.Equal("bootloader", row.GetProperty("running").GetString());

        // A reset does not bring an erased application back: the bootloader stays because there is none.
        CliRun reset = await CliRunner.RunAsync("reset", "--json", "--link", link);
        Assert.True(reset.ExitCode == ExitCodes.Success, reset.ToString());
        Assert.Equal("noValidApplication", reset.Json().GetProperty("devices")[0].GetProperty("stayReason").GetString());

        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("update", image, "--link", link)).ExitCode);
        JsonElement device = (await CliRunner.RunAsync("info", "--json", "--link", link)).Json().GetProperty("devices")[0];
        Assert.Equal("3.0.0+0", device.GetProperty("application").GetString());
        Assert.Equal("application", device.GetProperty("running").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task Erase_WithAnImageSignedByAnUntrustedKey_IsExit6_AndTheApplicationRegionIsUntouched()
    {
        string link = await CreateAsync(1);
        string before = await RegionsCommandTests.ApplicationHashAsync(link);
        string evil = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "evil.csai"), DeviceTestKit.ForeignKey(Scratch), 0, new FirmwareVersion(9, 0, 0, 0));

        CliRun erase = await CliRunner.RunAsync("erase", "--authorize", evil, "--link", link);
        Assert.Equal(ExitCodes.Rejected, erase.ExitCode);
        Assert.Contains("Nothing was erased", erase.Error);
        Assert.Single(DeviceTestKit.Lines(erase.Error));

        Assert.Equal(before, await RegionsCommandTests.ApplicationHashAsync(link));
        JsonElement device = (await CliRunner.RunAsync("info", "--json", "--link", link)).Json().GetProperty("devices")[0];
        Assert.Equal("application", device.GetProperty("running").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Erase_UntrustedByTheHostsTrustKeys_IsRefusedBeforeTheDeviceLeavesItsApplication()
    {
        string link = await CreateAsync(1);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 0, new FirmwareVersion(3, 0, 0, 0));
        string foreignPublic = Path.Combine(Scratch, "other");
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("keys", "generate", "--role", "firmware-signing", "--out", foreignPublic)).ExitCode);

        CliRun erase = await CliRunner.RunAsync("erase", "--authorize", image, "--trust", foreignPublic + ".pub.pem", "--link", link);
        Assert.Equal(ExitCodes.Rejected, erase.ExitCode);
        Assert.Contains("checked on the host", erase.Error);
        JsonElement device = (await CliRunner.RunAsync("info", "--json", "--link", link)).Json().GetProperty("devices")[0];
        Assert.Equal("1.0.0+0", device.GetProperty("application").GetString());
    }

    [Fact]
    public async Task Erase_BadInput_IsATypedErrorBeforeAnyDeviceIsTouched()
    {
        const string nowhere = "tcp://127.0.0.1:1";
        CliRun missingOption = await CliRunner.RunAsync("erase", "--link", nowhere);
        Assert.Equal(ExitCodes.Usage, missingOption.ExitCode);
        Assert.Contains("--authorize", missingOption.Error);

        CliRun missingFile = await CliRunner.RunAsync("erase", "--authorize", Path.Combine(Scratch, "none.csai"), "--link", nowhere);
        Assert.Equal(ExitCodes.FileError, missingFile.ExitCode);

        string link = await CreateAsync(1);
        string bootloader = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "bl.csai"), KeyFile, 0, new FirmwareVersion(1, 1, 0, 0), bootloader: true);
        CliRun wrongKind = await CliRunner.RunAsync("erase", "--authorize", bootloader, "--json", "--link", link);
        Assert.Equal(ExitCodes.InvalidInput, wrongKind.ExitCode);
        Assert.Contains("bootloader image", wrongKind.Json().GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("application", (await CliRunner.RunAsync("info", "--json", "--link", link)).Json().GetProperty("devices")[0].GetProperty("running").GetString());
    }
}

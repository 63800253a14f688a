using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Cli.Simulation;
using Csa.Simulator.Flash;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa update</c> against a persisted in-process simulation (<c>sim:?state=DIR</c>): each command is a fresh run of
/// the tool, so a later <c>info</c> sees what an earlier <c>update</c> left in flash.
/// </summary>
public sealed class UpdateTests : PersistedBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Update_SeveralDevicesOfAChain_TakeOneTransfer_AndWithNoMulticastEachIsWrittenByItself()
    {
        string link = DeviceTestKit.Sim(3, "chain", state: State);
        Assert.True((await CliRunner.RunAsync("devices", "--link", link)).ExitCode == ExitCodes.Success);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 1, new FirmwareVersion(2, 1, 0, 7));

        CliRun shared = await CliRunner.RunAsync("update", image, "--link", link, "--all", "--verbose");
        Assert.True(shared.ExitCode == ExitCodes.Success, shared.ToString());
        Assert.Contains("3 device(s) take", shared.Error, StringComparison.Ordinal); // one transfer to a group (event 4017)

        string next = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app3.csai"), KeyFile, 1, new FirmwareVersion(2, 2, 0, 8));
        CliRun alone = await CliRunner.RunAsync("update", next, "--link", link, "--all", "--verbose", "--no-multicast");
        Assert.True(alone.ExitCode == ExitCodes.Success, alone.ToString());
        Assert.DoesNotContain("device(s) take", alone.Error, StringComparison.Ordinal);

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link, "--all");
        Assert.All(info.Json().GetProperty("devices").EnumerateArray(), d => Assert.Equal("2.2.0+8", d.GetProperty("application").GetString()));
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Update_Application_RunsTheNewVersionInTheNextCommand()
    {
        string link = await CreateAsync(2);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 1, new FirmwareVersion(2, 1, 0, 7));

        CliRun update = await CliRunner.RunAsync("update", image, "--link", link, "--device", "0x02");
        Assert.True(update.ExitCode == ExitCodes.Success, update.ToString());
        Assert.Contains("Done", update.Output);

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link, "--all");
        JsonElement[] devices = info.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal("1.0.0+0", devices[0].GetProperty("application").GetString());
        Assert.Equal("2.1.0+7", devices[1].GetProperty("application").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Update_Bootloader_Json_ReportsTheNewCopyAndItRuns()
    {
        string link = await CreateAsync(1);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "bl.csai"), KeyFile, 0, new FirmwareVersion(1, 2, 0, 0), bootloader: true);

        CliRun update = await CliRunner.RunAsync("update", image, "--bootloader", "--json", "--link", link);
        Assert.True(update.ExitCode == ExitCodes.Success, update.ToString());
        JsonElement row = Assert.Single(update.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.True(row.GetProperty("succeeded").GetBoolean());
        Assert.Equal("bootloader", row.GetProperty("target").GetString());

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link);
        JsonElement device = Assert.Single(info.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.Equal("1.2.0+0", device.GetProperty("bootloader").GetString());
        Assert.Equal("B", device.GetProperty("activeBootloader").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Update_BothBootloaderCopies_EndsWithBothOnTheNewVersion()
    {
        string link = await CreateAsync(1);
        string copyB = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "bl-b.csai"), KeyFile, 0, new FirmwareVersion(1, 3, 0, 0), bootloader: true);
        string copyA = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "bl-a.csai"), KeyFile, 0, new FirmwareVersion(1, 3, 0, 0), bootloader: true, copyA: true);

        CliRun update = await CliRunner.RunAsync("update", copyB, copyA, "--both-copies", "--link", link);
        Assert.True(update.ExitCode == ExitCodes.Success, update.ToString());

        // Both copies hold 1.3.0; on a tie the pre-bootloader starts copy A, and the application runs again.
        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link);
        JsonElement device = Assert.Single(info.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.Equal("1.3.0+0", device.GetProperty("bootloader").GetString());
        Assert.Equal("A", device.GetProperty("activeBootloader").GetString());
        Assert.Equal("application", device.GetProperty("running").GetString());
    }

    [Fact]
    public async Task Update_TwoImagesWithoutBothCopies_IsAUsageError()
    {
        string link = await CreateAsync(1);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "bl.csai"), KeyFile, 0, new FirmwareVersion(1, 3, 0, 0), bootloader: true);
        CliRun run = await CliRunner.RunAsync("update", image, image, "--link", link);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task Update_ImageSignedByAnUntrustedKey_IsRejectedWithExit6AndNothingChanges()
    {
        string link = await CreateAsync(1);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "evil.csai"), DeviceTestKit.ForeignKey(Scratch), 0, new FirmwareVersion(9, 0, 0, 0));

        CliRun update = await CliRunner.RunAsync("update", image, "--link", link);
        Assert.Equal(ExitCodes.Rejected, update.ExitCode);
        Assert.Single(DeviceTestKit.Lines(update.Error));
        // Only the device knows its keys: it refused in its bootloader, before any erase, and the updater started the
        // application again (REQ-UPD-APP: a refused update costs no time out of service).
        Assert.Contains("runs its application 1.0.0+0 again", update.Error);

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link);
        Assert.Equal("1.0.0+0", info.Json().GetProperty("devices")[0].GetProperty("application").GetString());
        Assert.Equal("application", info.Json().GetProperty("devices")[0].GetProperty("running").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task Info_ReportsTheLargestPayload_AndImageVerifyAndUpdateUseTheDevicesRule()
    {
        string link = await CreateAsync(1);
        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link);
        Assert.True(info.ExitCode == ExitCodes.Success, info.ToString());
        JsonElement application = info.Json().GetProperty("devices")[0].GetProperty("updateRules").GetProperty("application");
        string start = application.GetProperty("start").GetString()!;
        uint largest = application.GetProperty("maxPayloadSize").GetUInt32();
        Assert.Equal("0x08060000", start);
        Assert.Equal(655_360u - 4096, largest); // the region minus the bootloader's trailer
        string fits = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "fits.csai"), KeyFile, 0, new FirmwareVersion(2, 0, 0, 0), size: (int)largest);
        string tooLarge = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "large.csai"), KeyFile, 0, new FirmwareVersion(2, 0, 0, 0), size: (int)largest + 16);
        string trust = Path.ChangeExtension(KeyFile, ".pub.pem");
        string region = $"{start}:{largest}";

        CliRun verifyFits = await CliRunner.RunAsync("image", "verify", fits, "--trust", trust, "--region", region);
        CliRun verifyLarge = await CliRunner.RunAsync("image", "verify", tooLarge, "--trust", trust, "--region", region);
        CliRun update = await CliRunner.RunAsync("update", tooLarge, "--link", link);

        Assert.True(verifyFits.ExitCode == ExitCodes.Success, verifyFits.ToString());
        Assert.Equal(ExitCodes.VerificationFailed, verifyLarge.ExitCode);
        Assert.Equal(ExitCodes.Rejected, update.ExitCode);
        Assert.Contains("checked on the host, nothing was sent", update.Error);
        Assert.Contains("at most 651264 bytes", update.Error);
        CliRun after = await CliRunner.RunAsync("info", "--json", "--link", link);
        Assert.Equal("application", after.Json().GetProperty("devices")[0].GetProperty("running").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Update_Cancelled_IsExit130WithOneLine()
    {
        string link = DeviceTestKit.Sim(1, state: State).Replace("timing=instant", "timing=typical", StringComparison.Ordinal);
        CliRun created = await CliRunner.RunAsync("devices", "--link", link);
        Assert.True(created.ExitCode == ExitCodes.Success, created.ToString());
        // 256 KB at datasheet timing take seconds to erase and write: the cancellation lands inside the update.
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "big.csai"), KeyFile, 0, new FirmwareVersion(7, 0, 0, 0), size: 256 * 1024);
        using var ctrlC = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        CliRun run = await CliRunner.RunAsync(["update", image, "--link", link], TimeSpan.FromMinutes(1), ctrlC.Token);
        Assert.Equal(ExitCodes.Cancelled, run.ExitCode);
        Assert.Equal("csa: error: cancelled", run.Error.Trim());
    }

    [Fact]
    public async Task Update_MissingImage_IsAFileError()
    {
        CliRun run = await CliRunner.RunAsync("update", Path.Combine(Scratch, "nope.csai"), "--link", DeviceTestKit.Sim());
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
        Assert.Equal($"csa: error: image file not found: {Path.Combine(Scratch, "nope.csai")}", run.Error.Trim());
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task Update_DamagedImage_IsInvalidInput()
    {
        string path = Path.Combine(Scratch, "junk.csai");
        await File.WriteAllBytesAsync(path, [0x43, 0x53, 0x41, 0x49, 1, 2, 3]);
        CliRun run = await CliRunner.RunAsync("update", path, "--link", DeviceTestKit.Sim());
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Single(DeviceTestKit.Lines(run.Error));
    }

    [Fact]
    public async Task Update_ApplicationImageWithBootloaderFlag_IsRefusedBeforeConnecting()
    {
        string link = await CreateAsync(1);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 0, new FirmwareVersion(2, 0, 0, 0));
        CliRun run = await CliRunner.RunAsync("update", image, "--bootloader", "--link", "tcp://127.0.0.1:1");
        Assert.Equal(ExitCodes.InvalidInput, run.ExitCode);
        Assert.Contains("--bootloader", run.Error);
    }

    [Fact]
    public async Task Update_SeveralDevicesWithoutSelection_IsAUsageErrorListingThem()
    {
        string link = await CreateAsync(2);
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 0, new FirmwareVersion(2, 0, 0, 0));
        CliRun run = await CliRunner.RunAsync("update", image, "--link", link);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(VirtualFleet.UidFor(FlashFamily.Stm32F4, 1).ToString(), run.Error);
    }
}

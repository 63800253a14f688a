using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa verify IMAGE</c>: the device holds and runs exactly the image, or exit 7 saying what differs. Against a persisted in-process simulation: each command is a fresh run of the tool, so
/// the next command sees what the last one left in flash.
/// </summary>
public sealed class VerifyCommandTests : PersistedBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task Verify_TheInstalledImage_Passes_AnotherImage_IsExit7_AndBothLeaveTheApplicationRunning()
    {
        string link = await CreateAsync(1);
        string installed = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "installed.csai"), KeyFile, 0, new FirmwareVersion(2, 0, 0, 1));
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("update", installed, "--link", link)).ExitCode);

        CliRun same = await CliRunner.RunAsync("verify", installed, "--json", "--link", link);
        Assert.True(same.ExitCode == ExitCodes.Success, same.ToString());
        JsonElement row = Assert.Single(same.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.True(row.GetProperty("matches").GetBoolean());
        Assert.Equal(same.Json().GetProperty("payloadSha256").GetString(), row.GetProperty("storedPayloadSha256").GetString());
        Assert.Equal("application", row.GetProperty("running").GetString());

        // Same version, same size, another payload: only the device's hash can tell.
        string binary = Path.Combine(Scratch, "twin.bin");
        await File.WriteAllBytesAsync(binary, Enumerable.Range(0, 8 * 1024).Select(i => (byte)(i * 7)).ToArray());
        string twin = Path.Combine(Scratch, "twin.csai");
        CliRun build = await CliRunner.RunAsync("image", "build", binary, "--load-address", "0x08060000", "--version", "2.0.0+1", "--security-counter", "1",
            "--vendor", "0x00C5A000", "--device-class", "1", "--sign", KeyFile, "-o", twin);
        Assert.True(build.ExitCode == ExitCodes.Success, build.ToString());
        CliRun other = await CliRunner.RunAsync("verify", twin, "--json", "--link", link);
        Assert.Equal(ExitCodes.VerificationFailed, other.ExitCode);
        JsonElement otherRow = Assert.Single(other.Json().GetProperty("devices").EnumerateArray().ToArray());
        Assert.False(otherRow.GetProperty("holds").GetBoolean());
        Assert.Equal("2.0.0+1", otherRow.GetProperty("version").GetString());
        Assert.NotEqual(other.Json().GetProperty("payloadSha256").GetString(), otherRow.GetProperty("storedPayloadSha256").GetString());
        Assert.Equal("verificationFailed", other.Json().GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("does not hold and run twin.csai", other.Error);

        JsonElement device = (await CliRunner.RunAsync("info", "--json", "--link", link)).Json().GetProperty("devices")[0];
        Assert.Equal("application", device.GetProperty("running").GetString());
        Assert.Equal("2.0.0+1", device.GetProperty("application").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Verify_HoldsTheImage_ButTheBootloaderRuns_IsExit7_SayingSo()
    {
        string link = await CreateAsync(1);
        string installed = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "installed.csai"), KeyFile, 0, new FirmwareVersion(2, 0, 0, 0));
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("update", installed, "--link", link)).ExitCode);
        Assert.Equal(ExitCodes.Success, (await CliRunner.RunAsync("reset", "--bootloader", "--link", link)).ExitCode);

        CliRun run = await CliRunner.RunAsync("verify", installed, "--link", link);
        Assert.Equal(ExitCodes.VerificationFailed, run.ExitCode);
        Assert.Contains("its bootloader runs", run.Error);
        // verify leaves the device as it found it: still in its bootloader.
        Assert.Equal("bootloader", (await CliRunner.RunAsync("info", "--json", "--link", link)).Json().GetProperty("devices")[0].GetProperty("running").GetString());
    }

    [Fact]
    public async Task Verify_MissingOrDamagedImage_IsExit3Or4_BeforeAnyLinkIsOpened()
    {
        // A link nobody serves: had the command opened it, it would be exit 5.
        const string nowhere = "tcp://127.0.0.1:1";
        CliRun missing = await CliRunner.RunAsync("verify", Path.Combine(Scratch, "none.csai"), "--json", "--link", nowhere);
        Assert.Equal(ExitCodes.FileError, missing.ExitCode);
        Assert.Equal("fileError", missing.Json().GetProperty("error").GetProperty("code").GetString());

        string damaged = Path.Combine(Scratch, "damaged.csai");
        await File.WriteAllBytesAsync(damaged, new byte[100]);
        CliRun bad = await CliRunner.RunAsync("verify", damaged, "--link", nowhere);
        Assert.Equal(ExitCodes.InvalidInput, bad.ExitCode);
        Assert.Single(DeviceTestKit.Lines(bad.Error));
    }
}

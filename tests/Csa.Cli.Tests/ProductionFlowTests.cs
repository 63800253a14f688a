using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// The production line from the command line, each step a fresh run of the tool against one persisted simulation of a
/// product that needs provisioning (<c>sim:?production=PUB</c>): a blank device refuses firmware, <c>csa provision</c>
/// enrols it, <c>csa update --authenticate</c> then installs, and a host that trusts another production key sends nothing.
/// </summary>
public sealed class ProductionFlowTests : IDisposable
{
    private readonly string _directory = DeviceTestKit.NewDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string File(string name) => Path.Combine(_directory, name);

    private async Task<string> KeyPairAsync(string name)
    {
        CliRun keys = await CliRunner.RunAsync("keys", "generate", "--role", "production", "--out", File(name));
        Assert.True(keys.ExitCode == ExitCodes.Success, keys.ToString());
        return File(name);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-INST")]
    public async Task BlankDevice_RefusesFirmware_UntilProvisioned_ThenAuthenticatesAndInstalls()
    {
        string production = await KeyPairAsync("production");
        string state = File("state");
        string link = DeviceTestKit.Sim(2, "chain", state) + $"&production={production}.pub.pem";

        CliRun devices = await CliRunner.RunAsync("devices", "--json", "--link", link);
        Assert.True(devices.ExitCode == ExitCodes.Success, devices.ToString());
        foreach (JsonElement device in devices.Json().GetProperty("devices").EnumerateArray())
            Assert.Equal("bootloader", device.GetProperty("running").GetString()); // blank: no application to start

        string image = await DeviceTestKit.WriteImageAsync(File("app.csai"), Path.Combine(state, "signing-key.pem"), 0, new FirmwareVersion(2, 0, 0, 0));
        CliRun refused = await CliRunner.RunAsync("update", image, "--link", link, "--device", "0x01");
        Assert.True(refused.ExitCode == ExitCodes.Rejected, refused.ToString());
        Assert.Contains("NotProvisioned", refused.Error);

        string record = File("records.jsonl");
        CliRun provision = await CliRunner.RunAsync("provision", "--json", "--link", link, "--production-key", production + ".key.pem",
            "--vendor", "0x00C5A000", "--device-class", "1", "--record", record);
        Assert.True(provision.ExitCode == ExitCodes.Success, provision.ToString());
        Assert.Equal(2, provision.Json().GetProperty("provisioned").GetInt32());
        string[] lines = await System.IO.File.ReadAllLinesAsync(record);
        Assert.Equal(2, lines.Length);
        foreach (string line in lines)
        {
            using JsonDocument row = JsonDocument.Parse(line);
            Assert.Equal("Provisioned", row.RootElement.GetProperty("outcome").GetString());
            Assert.StartsWith("04", row.RootElement.GetProperty("publicKey").GetString()); // the device's own public key, for the manufacturer's database
        }

        // Another host whose production key is not the one that enrolled the devices: authentication fails, nothing is sent.
        string stranger = await KeyPairAsync("stranger");
        CliRun untrusted = await CliRunner.RunAsync("update", image, "--link", link, "--device", "0x01", "--authenticate", stranger + ".pub.pem");
        Assert.True(untrusted.ExitCode == ExitCodes.AuthenticationFailed, untrusted.ToString());

        CliRun update = await CliRunner.RunAsync("update", image, "--json", "--link", link, "--device", "0x01", "--authenticate", production + ".pub.pem");
        Assert.True(update.ExitCode == ExitCodes.Success, update.ToString());

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link, "--all");
        JsonElement[] after = info.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal("2.0.0+0", after[0].GetProperty("application").GetString());
        Assert.Equal("application", after[0].GetProperty("running").GetString());
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Provision_WithAKeyTheDevicesDoNotTrust_FailsWithExit8AndLeavesThemBlank()
    {
        string production = await KeyPairAsync("production");
        string forged = await KeyPairAsync("forged");
        string state = File("state");
        string link = DeviceTestKit.Sim(1, state: state) + $"&production={production}.pub.pem";

        CliRun provision = await CliRunner.RunAsync("provision", "--link", link, "--production-key", forged + ".key.pem",
            "--vendor", "0x00C5A000", "--device-class", "1");
        Assert.True(provision.ExitCode == ExitCodes.AuthenticationFailed, provision.ToString());

        string image = await DeviceTestKit.WriteImageAsync(File("app.csai"), Path.Combine(state, "signing-key.pem"), 0, new FirmwareVersion(2, 0, 0, 0));
        CliRun refused = await CliRunner.RunAsync("update", image, "--link", link);
        Assert.True(refused.ExitCode == ExitCodes.Rejected, refused.ToString());
    }

    [Fact]
    public async Task SimLink_MissingProductionKeyFile_IsAFileError()
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", DeviceTestKit.Sim() + "&production=" + File("absent.pub.pem"));
        Assert.Equal(ExitCodes.FileError, run.ExitCode);
        Assert.Contains("production public key not found", run.Error);
    }
}

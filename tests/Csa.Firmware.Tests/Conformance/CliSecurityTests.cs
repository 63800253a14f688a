using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Cli;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// The production line's command-line steps against a C device (the C# device's are in Csa.Cli.Tests): <c>csa
/// provision</c> enrols a blank C device, and <c>csa update --authenticate</c> installs only after the device proved its
/// identity; a host that trusts another production key sends nothing.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class CliSecurityTests : IDisposable
{
    // The exit codes of docs/cli.md (scripts rely on them).
    private const int Success = 0, Rejected = 6, AuthenticationFailed = 8;

    private readonly string _directory = Directory.CreateTempSubdirectory("csa-cli-c-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Csa_provision_and_csa_update_authenticate_work_against_a_C_device()
    {
        var product = new ConformanceProduct(FlashFamily.Stm32L4, 60) { RequireProvisioning = true };
        using CancellationTokenSource guard = Guard();
        await using var dut = (CDeviceUnderTest)await DevicesUnderTest.StartAsync(DeviceImplementation.C, product, Factory(product));
        string link = $"tcp://127.0.0.1:{dut.Process.TcpPort}";
        string productionKey = Path.Combine(_directory, "production.key.pem"), productionPublic = Path.Combine(_directory, "production.pub.pem");
        string strangerPublic = Path.Combine(_directory, "stranger.pub.pem"), image = Path.Combine(_directory, "app.csai");
        ProductionKey.Save(productionKey);
        await File.WriteAllTextAsync(productionPublic, ProductionKey.PublicKey.ToPem(), guard.Token);
        await File.WriteAllTextAsync(strangerPublic, ForgedProductionKey.PublicKey.ToPem(), guard.Token);
        await File.WriteAllBytesAsync(image, Image(product, RegionKind.Application, V2, counter: 2).ToArray(), guard.Token);

        (int refusedCode, _, string refusedError) = await CsaAsync(guard.Token, "update", image, "--link", link);
        Assert.True(refusedCode == Rejected, refusedError);
        Assert.Contains("NotProvisioned", refusedError);

        string record = Path.Combine(_directory, "records.jsonl");
        (int provisionCode, string provisionOutput, string provisionError) = await CsaAsync(guard.Token, "provision", "--json", "--link", link,
            "--production-key", productionKey, "--vendor", "0x00C5A000", "--device-class", "1", "--record", record);
        Assert.True(provisionCode == Success, provisionError + provisionOutput);
        using (JsonDocument json = JsonDocument.Parse(provisionOutput))
            Assert.Equal(1, json.RootElement.GetProperty("provisioned").GetInt32());
        using (JsonDocument row = JsonDocument.Parse((await File.ReadAllLinesAsync(record, guard.Token)).Single()))
        {
            Assert.Equal("Provisioned", row.RootElement.GetProperty("outcome").GetString());
            Assert.Equal(Convert.ToHexString(dut.ExtractIdentityKey()!.PublicKey.ToUncompressedPoint()), row.RootElement.GetProperty("publicKey").GetString(), ignoreCase: true);
        }

        (int untrustedCode, _, string untrustedError) = await CsaAsync(guard.Token, "update", image, "--link", link, "--authenticate", strangerPublic);
        Assert.True(untrustedCode == AuthenticationFailed, untrustedError);

        (int updateCode, string updateOutput, string updateError) = await CsaAsync(guard.Token, "update", image, "--json", "--link", link, "--authenticate", productionPublic);
        Assert.True(updateCode == Success, updateError + updateOutput);
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        Assert.Equal(V2, host.Device.ApplicationVersion);
        Assert.False(host.Device.IsInBootloader);
    }

    private static async Task<(int Code, string Output, string Error)> CsaAsync(CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await CsaApp.RunAsync(args, CliConsole.FromWriters(output, error), cancellationToken);
        return (code, output.ToString(), error.ToString());
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

namespace Csa.Cli.Tests;

/// <summary><c>csa provision</c> against blank virtual devices published as <c>sim:</c> links.</summary>
public sealed class ProvisionCommandTests : IAsyncLifetime
{
    private static readonly EcP256PrivateKey s_firmwareKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);
    private static readonly DeviceFactory s_factory = new(new DeviceFactoryOptions
    {
        SigningKey = s_firmwareKey,
        Firmware = new FactoryFirmware { BootloaderVersion = new FirmwareVersion(1, 0, 0, 1), BootloaderSize = 4096 },
    });
    private static readonly EcP256PrivateKey s_productionKey = KeyGenerator.Generate(KeyRole.Production);
    private static int s_next;

    private readonly string _dir = Directory.CreateTempSubdirectory("csa-provision-").FullName;
    private readonly List<VirtualDevice> _devices = [];
    private readonly List<IDisposable> _published = [];
    private readonly List<string> _links = [];

    public async Task InitializeAsync()
    {
        for (int i = 0; i < 2; i++)
        {
            int n = Interlocked.Increment(ref s_next);
            var profile = new DeviceProfile
            {
                MemoryMap = MemoryMap.Stm32F4_1M,
                Uid = DeviceUid.FromWords(0x00C1_0000u + (uint)n, 0x1234_5678, 0x9ABC_DEF0),
                TrustedSigningKeys = [s_firmwareKey.PublicKey],
                ProductionTrustAnchors = [s_productionKey.PublicKey],
                RequireProvisioning = true,
                FlashTiming = FlashTimingProfile.Instant,
            };
            // As the electronics manufacturer delivers it: the bootloader only, the application comes after provisioning.
            VirtualDevice device = await s_factory.CreateDeviceAsync(profile, firmware: s_factory.Options.Firmware.WithoutApplication());
            await device.PowerOnAsync();
            string name = $"prov-cli-{n}";
            _published.Add(SimulatorScheme.Publish(name, device));
            _devices.Add(device);
            _links.Add($"sim:{name}");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (IDisposable p in _published)
            p.Dispose();
        foreach (VirtualDevice d in _devices)
            await d.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string KeyFile(EcP256PrivateKey key)
    {
        string path = Path.Combine(_dir, $"{key.PublicKey.KeyIdHex}.pem");
        if (!File.Exists(path))
            key.Save(path);
        return path;
    }

    private string[] Args(EcP256PrivateKey key, params string[] more) =>
        ["provision", .. _links.SelectMany(l => new[] { "--link", l }), "--production-key", KeyFile(key), "--vendor", "0x00C5A000", "--device-class", "1", .. more];

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Provision_ProvisionsEveryDevice_AndAppendsOneRecordPerDevice()
    {
        string record = Path.Combine(_dir, "devices.jsonl");
        CliRun run = await CliRunner.RunAsync(Args(s_productionKey, "--parallel", "2", "--record", record, "--json"));
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        Assert.Equal(2, run.Json().GetProperty("provisioned").GetInt32());
        Assert.Equal(s_productionKey.PublicKey.KeyIdHex, run.Json().GetProperty("productionKeyId").GetString());
        string[] lines = File.ReadAllLines(record);
        Assert.Equal(2, lines.Length);
        foreach (VirtualDevice device in _devices)
        {
            Assert.Equal(DeviceLifecycle.Provisioned, device.Firmware.Lifecycle);
            Assert.Contains(lines, l => l.Contains(device.Profile.Uid.ToString(), StringComparison.Ordinal) && l.Contains(device.Firmware.Certificate!.ToHex(), StringComparison.Ordinal));
        }

        // Again: the devices are already provisioned by this key; the table says so and the records are appended.
        CliRun again = await CliRunner.RunAsync(Args(s_productionKey, "--record", record));
        Assert.True(again.ExitCode == ExitCodes.Success, again.ToString());
        Assert.Contains("AlreadyProvisioned", again.Output);
        Assert.Equal(4, File.ReadAllLines(record).Length);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Provision_WithAKeyTheDevicesDoNotTrust_ExitsWithAuthenticationFailed_AndLeavesThemBlank()
    {
        CliRun run = await CliRunner.RunAsync(Args(KeyGenerator.Generate(KeyRole.Production), "--json"));
        Assert.True(run.ExitCode == ExitCodes.AuthenticationFailed, run.ToString());
        Assert.Equal(2, run.Json().GetProperty("failed").GetInt32());
        Assert.Contains("UnknownIssuer", run.Output);
        Assert.All(_devices, d => Assert.Equal(DeviceLifecycle.Blank, d.Firmware.Lifecycle));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task Provision_WithARecordFile_RefusesAUidAlreadyCertifiedWithAnotherKey_UnlessTheCheckIsOff()
    {
        // The record file says device 0's unique id was certified before, with another key (so this board is a second chip claiming it).
        string record = Path.Combine(_dir, "devices.jsonl");
        string otherKey = Convert.ToHexString(KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.UncompressedPoint.Span);
        File.WriteAllText(record, new Csa.Bootloader.Provisioning.ProvisioningRecord(_devices[0].Profile.Uid.ToString(), "Provisioned", otherKey, "", 9, 0x00C5A000, 1, "", "", "").ToJsonLine() + "\n");

        CliRun run = await CliRunner.RunAsync(Args(s_productionKey, "--record", record, "--json"));
        Assert.True(run.ExitCode == ExitCodes.AuthenticationFailed, run.ToString());
        Assert.Equal(1, run.Json().GetProperty("provisioned").GetInt32());
        Assert.Contains("already certified with another identity key", run.Output);
        Assert.Equal(DeviceLifecycle.Blank, _devices[0].Firmware.Lifecycle);
        Assert.Equal(DeviceLifecycle.Provisioned, _devices[1].Firmware.Lifecycle);

        CliRun unchecked_ = await CliRunner.RunAsync(Args(s_productionKey, "--record", record, "--no-record-check"));
        Assert.True(unchecked_.ExitCode == ExitCodes.Success, unchecked_.ToString());
        Assert.Equal(DeviceLifecycle.Provisioned, _devices[0].Firmware.Lifecycle);

        // Now the file contradicts itself (one unique id, two keys): a later run refuses to trust it.
        CliRun contradictory = await CliRunner.RunAsync(Args(s_productionKey, "--record", record));
        Assert.True(contradictory.ExitCode == ExitCodes.InvalidInput, contradictory.ToString());
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task Provision_WithAnAllowList_CertifiesOnlyTheListedUids()
    {
        string list = Path.Combine(_dir, "delivered.txt");
        File.WriteAllText(list, $"# lot 7\n{_devices[1].Profile.Uid}\n");
        CliRun run = await CliRunner.RunAsync(Args(s_productionKey, "--allow-list", list, "--json"));
        Assert.True(run.ExitCode == ExitCodes.AuthenticationFailed, run.ToString());
        Assert.Contains("not on the allow list", run.Output);
        Assert.Equal(DeviceLifecycle.Blank, _devices[0].Firmware.Lifecycle);
        Assert.Equal(DeviceLifecycle.Provisioned, _devices[1].Firmware.Lifecycle);

        CliRun missing = await CliRunner.RunAsync(Args(s_productionKey, "--allow-list", Path.Combine(_dir, "missing.txt")));
        Assert.True(missing.ExitCode == ExitCodes.FileError, missing.ToString());
        File.WriteAllText(list, "zz\n");
        CliRun bad = await CliRunner.RunAsync(Args(s_productionKey, "--allow-list", list));
        Assert.True(bad.ExitCode == ExitCodes.InvalidInput, bad.ToString());
    }

    [Fact]
    public async Task Provision_BadInput_GetsTheDocumentedExitCodes()
    {
        CliRun badVendor = await CliRunner.RunAsync(["provision", "--link", _links[0], "--production-key", KeyFile(s_productionKey), "--vendor", "pump", "--device-class", "1"]);
        Assert.True(badVendor.ExitCode == ExitCodes.Usage, badVendor.ToString());
        CliRun noKey = await CliRunner.RunAsync(["provision", "--link", _links[0], "--production-key", Path.Combine(_dir, "missing.pem"), "--vendor", "1", "--device-class", "1"]);
        Assert.True(noKey.ExitCode == ExitCodes.FileError, noKey.ToString());
        string notAKey = Path.Combine(_dir, "not-a-key.pem");
        File.WriteAllText(notAKey, "hello");
        CliRun invalidKey = await CliRunner.RunAsync(["provision", "--link", _links[0], "--production-key", notAKey, "--vendor", "1", "--device-class", "1"]);
        Assert.True(invalidKey.ExitCode == ExitCodes.InvalidInput, invalidKey.ToString());
        CliRun missingLink = await CliRunner.RunAsync(["provision", "--production-key", KeyFile(s_productionKey), "--vendor", "1", "--device-class", "1"]);
        Assert.Equal(ExitCodes.Usage, missingLink.ExitCode);
    }
}

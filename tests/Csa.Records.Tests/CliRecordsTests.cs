using System.Security.Cryptography;
using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Cli;
using Csa.Cli.Simulation;
using Csa.Crypto;
using Csa.Records.Sqlite;
using Csa.Simulator;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Records.Tests;

/// <summary>
/// The tool with <c>--records sqlite:PATH</c> (one station, nothing to install): provision, install and update write
/// the device history; <c>csa records query</c> finds it by serial number, exports the record-file formats, and
/// <c>csa records void</c> corrects a claim. And the secrets rule: no password on the command line.
/// </summary>
public sealed class CliRecordsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("csa-cli-records-").FullName;
    private readonly EcP256PrivateKey _production = KeyGenerator.Generate(KeyRole.Production);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<(int Code, string Output, string Error)> Csa(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        int code = await CsaApp.RunAsync(args, CliConsole.FromWriters(output, error), guard.Token);
        return (code, output.ToString(), error.ToString());
    }

    private string Link(int devices)
    {
        string publicKey = Path.Combine(_directory, "production.pub.pem");
        if (!File.Exists(publicKey))
        {
            _production.Save(Path.Combine(_directory, "production.pem"));
            _production.PublicKey.Save(publicKey);
        }
        return $"sim:chain?devices={devices}&production={publicKey}&timing=instant&state={Path.Combine(_directory, "bench")}";
    }

    private string[] Provision(int devices, params string[] more) =>
        ["provision", "--link", Link(devices), "--production-key", Path.Combine(_directory, "production.pem"), "--vendor", "0x00C5A000", "--device-class", "1", .. more];

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task ProvisionInstallAndUpdate_WithSqliteRecords_AreTheDeviceHistory_QueriedBySerial_AndExportedInTheRecordFileFormat()
    {
        string records = "sqlite:" + Path.Combine(_directory, "station", "records.sqlite");
        var provision = await Csa(Provision(2, "--records", records, "--station", "line-1", "--operator", "alice", "--json"));
        Assert.True(provision.Code == 0, provision.ToString());
        JsonElement summary = JsonDocument.Parse(provision.Output).RootElement.GetProperty("records");
        Assert.Equal("line-1", summary.GetProperty("station").GetString());
        Assert.Equal(0, summary.GetProperty("journaled").GetInt32());

        string link = Link(2);
        var profile = new DeviceProfile { MemoryMap = MemoryMap.Stm32F4_1M, Uid = VirtualFleet.UidFor(FlashFamily.Stm32F4, 0) };
        var factory = new DeviceFactory(new DeviceFactoryOptions { SigningKey = EcP256PrivateKey.Load(Path.Combine(_directory, "bench", "signing-key.pem")) });
        FirmwareImage image = await factory.BuildImageAsync(profile, RegionKind.Application, new FirmwareVersion(3, 1, 0, 9), new FactoryImageOptions { Size = 8 * 1024 });
        string imagePath = Path.Combine(_directory, "app.csai");
        await image.WriteFileAsync(imagePath);
        var install = await Csa("install", imagePath, "--link", link, "--records", records, "--station", "line-1", "--operator", "alice");
        Assert.True(install.Code == 0, install.ToString());
        var update = await Csa("update", imagePath, "--link", link, "--device", "0x02", "--records", records, "--station", "service", "--operator", "bob");
        Assert.True(update.Code == 0, update.ToString());

        // An image signed with a key the devices do not trust: refused by every device, and each refusal is a row too.
        FirmwareImage forged = await new DeviceFactory().BuildImageAsync(profile, RegionKind.Application, new FirmwareVersion(9, 0, 0, 0), new FactoryImageOptions { Size = 8 * 1024 });
        string forgedPath = Path.Combine(_directory, "forged.csai");
        await forged.WriteFileAsync(forgedPath);
        var refused = await Csa("install", forgedPath, "--link", link, "--records", records, "--station", "line-1", "--operator", "alice");
        Assert.True(refused.Code == ExitCodes.Rejected, refused.ToString());

        string uid0 = VirtualFleet.UidFor(FlashFamily.Stm32F4, 0).ToString(), uid1 = VirtualFleet.UidFor(FlashFamily.Stm32F4, 1).ToString();
        var claims = await Csa("records", "query", "--records", records, "--kind", "claims", "--json");
        uint serial1 = JsonDocument.Parse(claims.Output).RootElement.GetProperty("claims").EnumerateArray()
            .Single(c => c.GetProperty("uid").GetString() == uid1).GetProperty("serialNumber").GetUInt32();

        var history = await Csa("records", "query", "--records", records, "--serial", serial1.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.True(history.Code == 0, history.ToString());
        JsonElement rows = JsonDocument.Parse(history.Output).RootElement;
        Assert.Equal(["Issued", "Provisioned"], rows.GetProperty("provisioning").EnumerateArray().Select(r => r.GetProperty("event").GetString()));
        Assert.All(rows.GetProperty("provisioning").EnumerateArray(), r => Assert.Equal(uid1, r.GetProperty("uid").GetString()));
        JsonElement[] all = rows.GetProperty("installs").EnumerateArray().ToArray();
        JsonElement rejected = Assert.Single(all, r => r.GetProperty("result").GetString() == "Failed");
        Assert.Equal("9.0.0+0", rejected.GetProperty("version").GetString());
        Assert.StartsWith("Rejected:", rejected.GetProperty("errorCode").GetString(), StringComparison.Ordinal);
        Assert.Equal("3.1.0+9", rejected.GetProperty("versionBefore").GetString());
        JsonElement[] installs = all.Where(r => r.GetProperty("result").GetString() == "Succeeded").ToArray();
        Assert.Equal(["install", "update"], installs.Select(r => r.GetProperty("operation").GetString()));
        Assert.All(installs, r =>
        {
            Assert.Equal(uid1, r.GetProperty("uid").GetString());
            Assert.Equal("Succeeded", r.GetProperty("result").GetString());
            Assert.Equal("3.1.0+9", r.GetProperty("version").GetString());
            Assert.Equal(Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(imagePath))).ToLowerInvariant(), r.GetProperty("imageSha256").GetString());
            Assert.Equal(Convert.ToHexString(image.Manifest.PayloadSha256.Span).ToLowerInvariant(), r.GetProperty("payloadSha256").GetString());
        });
        Assert.Equal(["line-1", "service"], installs.Select(r => r.GetProperty("station").GetString()));
        Assert.Equal(["alice", "bob"], installs.Select(r => r.GetProperty("operator").GetString()));

        // The record-file formats stay as exports: what csa provision --record writes and the file registry reads.
        string csv = Path.Combine(_directory, "export.csv"), jsonl = Path.Combine(_directory, "export.jsonl");
        Assert.Equal(0, (await Csa("records", "query", "--records", records, "--kind", "provisioning", "--csv", csv)).Code);
        Assert.Equal(0, (await Csa("records", "query", "--records", records, "--kind", "provisioning", "--jsonl", jsonl)).Code);
        foreach (string export in new[] { csv, jsonl })
        {
            IReadOnlyList<ProvisioningRecord> exported = await ProvisioningRecordFile.ReadAsync(export);
            Assert.Equal(4, exported.Count);
            ProvisionedDeviceRegistry registry = await ProvisionedDeviceRegistry.LoadAsync([export]);
            Assert.Equal(2, registry.Count);
        }
        Assert.Equal(ExitCodes.FileError, (await Csa("records", "query", "--records", records, "--kind", "provisioning", "--csv", csv)).Code);

        // A correction: the claim of device 0 released by an operator, with the reason, as a new row.
        var voided = await Csa("records", "void", uid0, "--reason", "board scrapped after drop test", "--records", records, "--operator", "carol");
        Assert.True(voided.Code == 0, voided.ToString());
        await using var store = new SqliteRecordStore(Path.Combine(_directory, "station", "records.sqlite"));
        IdentityClaimEntry released = (await store.QueryAsync(new RecordQuery { Uid = uid0, Kinds = RecordKinds.Claims })).Claims.Single();
        Assert.Equal(("board scrapped after drop test", "carol"), (released.Void!.Reason, released.Void.Operator));
        Assert.Equal(ExitCodes.Failed, (await Csa("records", "void", uid0, "--reason", "again", "--records", records)).Code);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task APasswordOnTheCommandLine_IsRefused_WithoutRepeatingIt_AndNothingIsTouched()
    {
        var run = await Csa(Provision(1, "--records", "postgres://station:hunter2@127.0.0.1:1/production"));
        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.DoesNotContain("hunter2", run.Error + run.Output, StringComparison.Ordinal);
        Assert.Contains("PGPASSWORD", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "bench", "device-0.identity.keystore.certified")));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task AProfileWithAPasswordReadableByOthers_IsRefused_AndAnUnreachableDatabase_TouchesNoDevice()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only.
        string profile = Path.Combine(_directory, "station.records");
        await File.WriteAllTextAsync(profile, $"# line 3\nrecords = postgres://station@127.0.0.1:{PostgreSqlRecordStoreTests.PortWithNothingOnIt()}/production\npassword = s3cret\nstation = line-3\n");
        File.SetUnixFileMode(profile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var open = await Csa(Provision(1, "--records", "profile:" + profile));
        Assert.Equal(ExitCodes.FileError, open.Code);
        Assert.Contains("chmod 600", open.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", open.Error, StringComparison.Ordinal);

        File.SetUnixFileMode(profile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var unreachable = await Csa(Provision(1, "--records", "profile:" + profile, "--records-journal", Path.Combine(_directory, "journal.sqlite")));
        Assert.Equal(ExitCodes.Unreachable, unreachable.Code);
        Assert.Contains("unreachable", unreachable.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", unreachable.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_directory, "bench")), "no device was built, let alone provisioned");
    }
}

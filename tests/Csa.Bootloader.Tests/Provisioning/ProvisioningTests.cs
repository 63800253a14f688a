using System.Text.Json;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Memory;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// REQ-PROD-KEYS: blank devices install and start nothing; the production station provisions many devices in parallel
/// with keys the devices make themselves; a stolen blank device cannot be provisioned without the production key;
/// provisioning is locked once done.
/// </summary>
public sealed class ProvisioningTests
{
    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task Blank_device_starts_no_application_and_refuses_firmware_without_writing_a_byte()
    {
        DeviceProfile profile = ProvisioningKit.Profile(0);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile, withApplication: true));
        VirtualDevice device = rig.Virtual[0];
        Assert.Equal(VirtualDeviceState.Bootloader, device.State);
        Assert.Equal(StayReason.NotProvisioned, device.Firmware.LastBoot!.StayReason);
        Assert.Equal(DeviceLifecycle.Blank, device.Firmware.Lifecycle);
        (long ops, long blocks) = ProvisioningKit.WriteMarks(device);

        using CancellationTokenSource guard = Rig.Guard();
        var refused = await Assert.ThrowsAsync<UpdateRejectedException>(() =>
            rig.Updater.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V2), null, guard.Token));
        Assert.Equal(BootloaderError.NotProvisioned, refused.DeviceError);

        // With authentication on, the host refuses before it sends anything at all.
        var updater = new FirmwareUpdater(rig.Network, ProvisioningKit.AuthenticatingOptions());
        var unauthenticated = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            updater.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V2), null, guard.Token));
        Assert.Equal(DeviceAuthenticationFailure.NotProvisioned, unauthenticated.Reason);
        Assert.Equal((ops, blocks), ProvisioningKit.WriteMarks(device));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Station_provisions_devices_in_parallel_records_them_and_only_then_they_install_encrypted_firmware()
    {
        const int count = 3;
        await using Rig rig = await Rig.StarAsync(count, i => ProvisioningKit.Blank(ProvisioningKit.Profile(i, requireEncryption: true)));
        var progress = new List<ProvisioningProgress>();
        using CancellationTokenSource guard = Rig.Guard();
        IReadOnlyList<ProvisioningResult> results = await ProvisioningKit.Station().ProvisionAllAsync(rig.Network, rig.Devices, 3,
            new SyncProgress<ProvisioningProgress>(p => { lock (progress) progress.Add(p); }), guard.Token);

        Assert.All(results, r => Assert.Equal(ProvisioningOutcome.Provisioned, r.Outcome));
        Assert.Equal(rig.Devices.Select(d => d.Uid), results.Select(r => r.Uid));
        Assert.Equal(count, progress.Count(p => p.Stage == ProvisioningStage.Done));
        for (int i = 0; i < count; i++)
        {
            VirtualDevice device = rig.Virtual.Single(v => v.Profile.Uid == results[i].Uid);
            DeviceCertificate certificate = results[i].Certificate!;
            Assert.Equal(DeviceLifecycle.Provisioned, device.Firmware.Lifecycle);
            Assert.True(device.Firmware.ProvisioningLocked);
            Assert.Equal(certificate, device.Firmware.Certificate);
            // The certified key is the one the device made and keeps in its key storage.
            Assert.Equal(device.KeyStorage.IdentityPublicKey!.ToUncompressedPoint(), certificate.GetUncompressedPublicKey());

            // The record for the manufacturer's database.
            using JsonDocument json = JsonDocument.Parse(results[i].ToRecord().ToJsonLine());
            Assert.Equal(results[i].Uid.ToString(), json.RootElement.GetProperty("uid").GetString());
            Assert.Equal(Convert.ToHexString(certificate.GetUncompressedPublicKey()), json.RootElement.GetProperty("publicKey").GetString());
            Assert.Equal(certificate.ToHex(), json.RootElement.GetProperty("certificate").GetString());
            Assert.Equal("Provisioned", json.RootElement.GetProperty("outcome").GetString());
        }

        // Authenticate, encrypt one device-bound image per authenticated device, install with authentication on.
        DeviceAuthenticationReport report = await ProvisioningKit.Authenticator().AuthenticateAllAsync(rig.Network, rig.Devices, guard.Token);
        Assert.Equal(count, report.Authenticated.Count);
        Assert.Empty(report.Rejected);
        DeviceProfile profile0 = rig.Virtual[0].Profile;
        var settings = new ImageSettings { VendorId = profile0.VendorId, DeviceClassId = profile0.DeviceClassId, Version = DeviceKit.V2, SecurityCounter = 1 };
        IReadOnlyDictionary<DeviceUid, FirmwareImage> images = await AuthenticatedImages.BuildPerDeviceAsync(settings,
            FirmwareSource.FromBinary(DeviceKit.Payload(30_000, 7), profile0.MemoryMap.Application.Address), DeviceKit.Signer,
            new AesCtrEciesPayloadEncryptor(), report.Authenticated, guard.Token);
        var updater = new FirmwareUpdater(rig.Network, ProvisioningKit.AuthenticatingOptions());
        IReadOnlyList<InstallResult> installed = await updater.InstallAsync(rig.Devices, (d, _) => Task.FromResult(images[d.Uid]), 3, null, guard.Token);
        Assert.All(installed, r => Assert.True(r.Succeeded, r.FailureReason));
        foreach (VirtualDevice device in rig.Virtual)
        {
            Assert.Equal(VirtualDeviceState.Application, device.State);
            Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Stolen_blank_device_provisioned_with_a_forged_certificate_refuses_it_and_still_refuses_firmware()
    {
        DeviceProfile profile = ProvisioningKit.Profile(1);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile, withApplication: true));
        VirtualDevice device = rig.Virtual[0];
        using CancellationTokenSource guard = Rig.Guard();

        // The thief runs a station of their own with a key of their own.
        ProvisioningStation thief = ProvisioningKit.Station(new PemProductionSigner(ProvisioningKit.ForgedProductionKey), profile);
        var refused = await Assert.ThrowsAsync<ProvisioningException>(() => thief.ProvisionAsync(rig.Network, rig.Devices[0], guard.Token));
        Assert.Equal(ProvisioningFailure.DeviceRefused, refused.Reason);
        Assert.Equal(ProvisioningError.UnknownIssuer, refused.DeviceError);
        Assert.Equal(DeviceLifecycle.Blank, device.Firmware.Lifecycle);
        Assert.True(device.Flash.IsBlank(profile.MemoryMap.Provisioning.Address, 256));

        var rejected = await Assert.ThrowsAsync<UpdateRejectedException>(() =>
            rig.Updater.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V2), null, guard.Token));
        Assert.Equal(BootloaderError.NotProvisioned, rejected.DeviceError);

        // After a power cycle it still starts no application.
        await device.PowerCycleAsync();
        Assert.Equal(StayReason.NotProvisioned, device.Firmware.LastBoot!.StayReason);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Device_refuses_certificates_that_are_not_exactly_its_own()
    {
        DeviceProfile profile = ProvisioningKit.Profile(2);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        using CancellationTokenSource guard = Rig.Guard();
        using var client = new ProvisioningClient(rig.Network.Client, rig.Devices[0].Address);
        GenerateIdentityKeyResponse key = await client.GenerateIdentityKeyAsync(new GenerateIdentityKeyRequest(new byte[32]), null, guard.Token);
        byte[] otherKey = KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.UncompressedPoint[1..].ToArray();

        async Task<ProvisioningError> Refusal(DeviceCertificate unsigned, EcP256PrivateKey signer, Func<byte[], byte[]>? tamper = null)
        {
            byte[] bytes = unsigned.WithSignature(new EcdsaP256Signer(signer).SignDigest(unsigned.ComputeSignedDigest())).ToArray();
            bytes = tamper?.Invoke(bytes) ?? bytes;
            var e = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.InstallCertificateAsync(new InstallCertificateRequest(bytes), null, guard.Token));
            Assert.True(ProvisioningInterface.TryGetError(e, out ProvisioningError code));
            return code;
        }

        DeviceCertificate Cert(DeviceUid uid, byte[] publicKey, uint vendor = 0x00C5A000, uint cls = 1, byte[]? issuer = null) =>
            DeviceCertificate.CreateUnsigned(uid, vendor, cls, 7, DateTimeOffset.UnixEpoch.AddDays(20000), issuer ?? ProvisioningKit.ProductionKey.PublicKey.KeyId.ToArray(), publicKey);

        Assert.Equal(ProvisioningError.UnknownIssuer, await Refusal(Cert(profile.Uid, key.PublicKey, issuer: ProvisioningKit.ForgedProductionKey.PublicKey.KeyId.ToArray()), ProvisioningKit.ForgedProductionKey));
        // The forger writes the genuine key id into a certificate the genuine key did not sign.
        Assert.Equal(ProvisioningError.BadCertificateSignature, await Refusal(Cert(profile.Uid, key.PublicKey), ProvisioningKit.ForgedProductionKey));
        // The production key's genuine signature in its high-S form (r, n - s): refused, one encoding only.
        Assert.Equal(ProvisioningError.BadCertificateSignature, await Refusal(Cert(profile.Uid, key.PublicKey), ProvisioningKit.ProductionKey,
            b => { CertificateCodecTests.HighS(b[112..]).CopyTo(b, 112); return b; }));
        // A genuine certificate with one byte changed after signing.
        Assert.Equal(ProvisioningError.BadCertificateSignature, await Refusal(Cert(profile.Uid, key.PublicKey), ProvisioningKit.ProductionKey, b => { b[60] ^= 1; return b; }));
        Assert.Equal(ProvisioningError.WrongDevice, await Refusal(Cert(DeviceKit.UidOf(77), key.PublicKey), ProvisioningKit.ProductionKey));
        Assert.Equal(ProvisioningError.WrongPublicKey, await Refusal(Cert(profile.Uid, otherKey), ProvisioningKit.ProductionKey));
        Assert.Equal(ProvisioningError.WrongProduct, await Refusal(Cert(profile.Uid, key.PublicKey, cls: 2), ProvisioningKit.ProductionKey));
        Assert.Equal(ProvisioningError.MalformedCertificate, await Refusal(Cert(profile.Uid, key.PublicKey), ProvisioningKit.ProductionKey, b => { b[29] = 9; return b; }));
        Assert.Equal(DeviceLifecycle.Blank, rig.Virtual[0].Firmware.Lifecycle);
        Assert.True(rig.Virtual[0].Flash.IsBlank(profile.MemoryMap.Provisioning.Address, 256));
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Provisioned_device_refuses_reprovisioning_and_the_station_reports_it_as_already_provisioned()
    {
        DeviceProfile profile = ProvisioningKit.Profile(3);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        IReadOnlyList<ProvisioningResult> first = await ProvisioningKit.ProvisionAllAsync(rig);
        DeviceCertificate certificate = first[0].Certificate!;
        using CancellationTokenSource guard = Rig.Guard();
        using var client = new ProvisioningClient(rig.Network.Client, rig.Devices[0].Address);

        var again = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.GenerateIdentityKeyAsync(new GenerateIdentityKeyRequest(new byte[32]), null, guard.Token));
        Assert.True(ProvisioningInterface.TryGetError(again, out ProvisioningError code) && code == ProvisioningError.AlreadyProvisioned);
        DeviceCertificate other = DeviceCertificate.CreateUnsigned(profile.Uid, profile.VendorId, profile.DeviceClassId, 99, DateTimeOffset.UnixEpoch,
            ProvisioningKit.ProductionKey.PublicKey.KeyId.Span, certificate.PublicKey.Span);
        other = other.WithSignature(new EcdsaP256Signer(ProvisioningKit.ProductionKey).SignDigest(other.ComputeSignedDigest()));
        var replaced = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.InstallCertificateAsync(new InstallCertificateRequest(other.ToArray()), null, guard.Token));
        Assert.True(ProvisioningInterface.TryGetError(replaced, out code) && code == ProvisioningError.AlreadyProvisioned);

        IReadOnlyList<ProvisioningResult> second = await ProvisioningKit.Station().ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token);
        Assert.Equal(ProvisioningOutcome.AlreadyProvisioned, second[0].Outcome);
        Assert.Equal(certificate, second[0].Certificate);
        Assert.Equal(certificate, rig.Virtual[0].Firmware.Certificate);

        // A station with another production key finds it provisioned by a key it does not know.
        IReadOnlyList<ProvisioningResult> foreign = await ProvisioningKit.Station(new PemProductionSigner(ProvisioningKit.ForgedProductionKey))
            .ProvisionAllAsync(rig.Network, rig.Devices, 1, null, guard.Token);
        Assert.Equal(ProvisioningOutcome.Failed, foreign[0].Outcome);
        Assert.Equal(ProvisioningFailure.ProvisionedByAnotherKey, Assert.IsType<ProvisioningException>(foreign[0].Exception).Reason);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task One_call_provisions_the_network_and_a_key_storage_file_keeps_the_identity_across_restarts()
    {
        DeviceProfile profile = ProvisioningKit.Profile(4);
        string dir = Directory.CreateTempSubdirectory("csa-keys-").FullName;
        try
        {
            string flashFile = Path.Combine(dir, "device.flash");
            string keyFile = Path.Combine(dir, "device.key.pem");
            using CancellationTokenSource guard = Rig.Guard();
            await using (Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile, options: ProvisioningKit.Options(profile, flashFile, new SecureKeyStorage(keyFile)))))
            {
                IReadOnlyList<ProvisioningResult> results = await ProvisioningKit.Station().ProvisionAllAsync(rig.Network, 4, null, guard.Token);
                Assert.Equal(ProvisioningOutcome.Provisioned, Assert.Single(results).Outcome);
            }
            Assert.True(File.Exists(keyFile));

            // The same chip again (flash file and its key storage): provisioned, and it authenticates.
            await using (Rig rig = await Rig.StarAsync(1, _ => new VirtualDevice(profile, ProvisioningKit.Options(profile, flashFile, new SecureKeyStorage(keyFile)))))
            {
                Assert.Equal(DeviceLifecycle.Provisioned, rig.Virtual[0].Firmware.Lifecycle);
                await ProvisioningKit.Authenticator().AuthenticateAsync(rig.Network, rig.Devices[0], guard.Token);
            }

            // The flash file alone is a clone.
            await using (Rig rig = await Rig.StarAsync(1, _ => new VirtualDevice(profile, ProvisioningKit.Options(profile, flashFile))))
            {
                await Assert.ThrowsAsync<DeviceAuthenticationException>(() => ProvisioningKit.Authenticator().AuthenticateAsync(rig.Network, rig.Devices[0], guard.Token));
            }

            // The records go to the manufacturer's files: JSON lines, and CSV with one header.
            string csv = Path.Combine(dir, "devices.csv");
            DeviceCertificate c = CertificateCodecTests.GoldenCertificate();
            ProvisioningRecord row = new ProvisioningResult(c.Uid, new DataLink.NodeAddress(3), ProvisioningOutcome.Provisioned, c, null, null, TimeSpan.Zero).ToRecord();
            await ProvisioningRecordFile.AppendCsvAsync(csv, [row], guard.Token);
            await ProvisioningRecordFile.AppendCsvAsync(csv, [row, row], guard.Token);
            string[] lines = File.ReadAllLines(csv);
            Assert.Equal([ProvisioningRecord.CsvHeader, row.ToCsvLine(), row.ToCsvLine(), row.ToCsvLine()], lines);
            string jsonl = Path.Combine(dir, "devices.jsonl");
            await ProvisioningRecordFile.AppendJsonLinesAsync(jsonl, [row, row], guard.Token);
            Assert.Equal([row.ToJsonLine(), row.ToJsonLine()], File.ReadAllLines(jsonl));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public void Records_are_written_as_json_lines_and_csv()
    {
        DeviceCertificate c = CertificateCodecTests.GoldenCertificate();
        var row = new ProvisioningResult(c.Uid, new DataLink.NodeAddress(3), ProvisioningOutcome.Provisioned, c, null, null, TimeSpan.Zero).ToRecord();
        Assert.Equal(ProvisioningRecord.CsvHeader.Split(',').Length, row.ToCsvLine().Split(',').Length);
        Assert.StartsWith("3A0024000D51343138393836,Provisioned,04", row.ToCsvLine(), StringComparison.Ordinal);
        var failed = new ProvisioningResult(c.Uid, new DataLink.NodeAddress(3), ProvisioningOutcome.Failed, null, "refused, \"UnknownIssuer\"", null, TimeSpan.Zero).ToRecord();
        Assert.EndsWith(",\"refused, \"\"UnknownIssuer\"\"\"", failed.ToCsvLine(), StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(row.ToJsonLine());
        Assert.Equal(1u, json.RootElement.GetProperty("serialNumber").GetUInt32());
        Assert.Equal("2026-11-25T00:00:00Z", json.RootElement.GetProperty("issuedAt").GetString());
    }
}

/// <summary>Calls back synchronously on the reporting thread (no synchronization context hop).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator.Firmware;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// The device side of provisioning, in process (no link): the lifecycle gates, the provisioning record against its
/// golden vector, and power cuts at every flash operation of provisioning, including a second cut during the retry
/// that erases a torn record, on flash that refuses any program over non-erased cells.
/// </summary>
public sealed class ProvisioningFirmwareTests
{
    private static readonly EcP256PrivateKey s_productionKey = KeyGenerator.Generate(KeyRole.Production);

    private static DeviceProfile Profile(FlashFamily family)
    {
        DeviceProfile p = Kit.Profile(family);
        return new DeviceProfile
        {
            MemoryMap = p.MemoryMap,
            Uid = p.Uid,
            TrustedSigningKeys = p.TrustedSigningKeys,
            FlashTiming = FlashTimingProfile.Instant,
            ProductionTrustAnchors = [s_productionKey.PublicKey],
            RequireProvisioning = true,
        };
    }

    private static (DeviceFirmware Firmware, SimulatedFlash Flash) Device(DeviceProfile profile, SimulatedFlash? flash = null)
    {
        if (flash is null)
        {
            flash = Kit.StrictFlash(profile);
            FactoryProgrammer.Program(profile, flash, Kit.Image(profile, RegionKind.BootloaderA, Kit.V(1)),
                application: Kit.Image(profile, RegionKind.Application, Kit.V(1)));
        }
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System, new SecureKeyStorage());
        firmware.Boot();
        return (firmware, flash);
    }

    private static ProvisioningClient Client(DeviceFirmware firmware) => new(new LoopbackInvoker(firmware.Provisioning), new NodeAddress(0x10));

    /// <summary>What the station does, in process: key, certificate signed by the production key, install (or complete the lock).</summary>
    private static async Task<DeviceCertificate> ProvisionAsync(DeviceFirmware firmware)
    {
        using ProvisioningClient client = Client(firmware);
        GetProvisioningStatusResponse status = await client.GetProvisioningStatusAsync();
        DeviceCertificate certificate;
        if (status.Lifecycle == DeviceLifecycle.Provisioned)
        {
            certificate = DeviceCertificate.Parse(status.Certificate);
            if (status.Locked)
                return certificate; // as the station: nothing left to do (a start-up completes an interrupted lock)
        }
        else
        {
            GenerateIdentityKeyResponse key = await client.GenerateIdentityKeyAsync(RandomNumberGenerator.GetBytes(32));
            DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(firmware.Profile.Uid, firmware.Profile.VendorId, firmware.Profile.DeviceClassId, 5,
                DateTimeOffset.UnixEpoch, s_productionKey.PublicKey.KeyId.Span, key.PublicKey);
            certificate = unsigned.WithSignature(new EcdsaP256Signer(s_productionKey).SignDigest(unsigned.ComputeSignedDigest()));
        }
        InstallCertificateResponse installed = await client.InstallCertificateAsync(certificate.ToArray());
        Assert.Equal(DeviceLifecycle.Provisioned, installed.Lifecycle);
        Assert.True(installed.Locked);
        return certificate;
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Blank_device_stays_in_its_bootloader_refuses_begin_update_and_provisioning_lifts_both(FlashFamily family)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = Device(profile);
        Assert.Equal(StayReason.NotProvisioned, firmware.LastBoot!.StayReason);
        Assert.False(firmware.LastBoot.StartApplication);
        FirmwareImage image = Kit.Image(profile, RegionKind.Application, Kit.V(2));
        long operations = flash.Statistics.OperationCount;
        Assert.Equal(BootloaderError.NotProvisioned, await Kit.ErrorOf(() => Kit.BeginAsync(Kit.Client(firmware), UpdateTarget.Application, image)));
        Assert.Equal(operations, flash.Statistics.OperationCount);

        using (ProvisioningClient client = Client(firmware))
        {
            var e = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.AuthenticateAsync(new byte[32]));
            Assert.True(ProvisioningInterface.TryGetError(e, out ProvisioningError code) && code == ProvisioningError.NotProvisioned);
        }
        await ProvisionAsync(firmware);
        Assert.True(firmware.Boot().StartApplication);
        // Installing through the bootloader works now (the application asked to stay: here the host simply is in the bootloader after a request).
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        firmware.Boot();
        await Kit.UpdateAsync(Kit.Client(firmware), UpdateTarget.Application, image);
        Assert.Equal(Kit.V(2), firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Provisioning_record_matches_the_golden_commit_marker_and_the_application_cannot_provision()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "security.md"));
        byte[] certificate = Golden(doc, "device-certificate");
        byte[] body = IdentityRecord.EncodeBody(certificate);
        Assert.Equal("435349440100B000", Convert.ToHexString(body[..8]));
        Assert.Equal(Convert.ToHexString(Golden(doc, "provisioning-commit")), Convert.ToHexString(IdentityRecord.EncodeCommit(body)));

        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware firmware, _) = Device(profile);
        await ProvisionAsync(firmware);
        Assert.True(firmware.Boot().StartApplication);
        using ProvisioningClient client = Client(firmware);
        var e = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.GenerateIdentityKeyAsync(new byte[32]));
        Assert.True(ProvisioningInterface.TryGetError(e, out ProvisioningError code) && code == ProvisioningError.NotAllowed);
        // The application still answers identity and authentication questions (the bootloader's service, exported).
        Assert.Equal(DeviceLifecycle.Provisioned, (await client.GetProvisioningStatusAsync()).Lifecycle);
        Assert.Equal(firmware.Certificate!.ToArray(), (await client.AuthenticateAsync(new byte[32])).Certificate);
    }

    public enum Forgery { AnotherChip, KeyStorageLost, UntrustedSigner, TamperedSignature }

    [Theory]
    [InlineData(Forgery.AnotherChip)]
    [InlineData(Forgery.KeyStorageLost)]
    [InlineData(Forgery.UntrustedSigner)]
    [InlineData(Forgery.TamperedSignature)]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Committed_record_that_is_not_this_chips_stays_in_the_bootloader_and_refuses_begin_update(Forgery forgery)
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        (DeviceFirmware genuine, SimulatedFlash flash) = Device(profile);
        DeviceProfile chipProfile = profile;
        SecureKeyStorage keys;
        if (forgery is Forgery.AnotherChip or Forgery.KeyStorageLost)
        {
            // A genuine record with a good CRC, copied onto another chip (another unique id, even with the genuine key
            // extracted and planted) or onto the same chip whose key storage does not hold the certified key.
            await ProvisionAsync(genuine);
            Assert.True(genuine.Boot().StartApplication);
            keys = forgery == Forgery.AnotherChip ? KeysOf(genuine) : new SecureKeyStorage();
            if (forgery == Forgery.AnotherChip)
                chipProfile = new DeviceProfile
                {
                    MemoryMap = profile.MemoryMap, Uid = DeviceUid.FromWords(0x11111111, 0x22222222, 0x33333333),
                    TrustedSigningKeys = profile.TrustedSigningKeys, FlashTiming = profile.FlashTiming,
                    ProductionTrustAnchors = profile.ProductionTrustAnchors, RequireProvisioning = true,
                };
        }
        else
        {
            // The right unique id and identity key, but a certificate no trusted production key signed, written with a
            // valid body and commit marker straight into flash (as a programmer with a debug probe would).
            EcP256PrivateKey identity = KeyGenerator.Generate(KeyRole.DeviceIdentity);
            keys = new SecureKeyStorage(identity);
            EcP256PrivateKey signer = forgery == Forgery.UntrustedSigner ? KeyGenerator.Generate(KeyRole.Production) : s_productionKey;
            DeviceCertificate unsigned = DeviceCertificate.CreateUnsigned(profile.Uid, profile.VendorId, profile.DeviceClassId, 5,
                DateTimeOffset.UnixEpoch, s_productionKey.PublicKey.KeyId.Span, identity.PublicKey.UncompressedPoint[1..].ToArray());
            byte[] signature = new EcdsaP256Signer(signer).SignDigest(unsigned.ComputeSignedDigest());
            if (forgery == Forgery.TamperedSignature)
                signature[40] ^= 0x01;
            byte[] body = IdentityRecord.EncodeBody(unsigned.WithSignature(signature).ToArray());
            await flash.ProgramAsync(profile.MemoryMap.Provisioning.Address, body, CancellationToken.None);
            await flash.ProgramAsync(profile.MemoryMap.Provisioning.Address + IdentityRecord.BodySize, IdentityRecord.EncodeCommit(body), CancellationToken.None);
        }

        var chip = new DeviceFirmware(chipProfile, flash.Clone(), TimeProvider.System, keys);
        BootDecision decision = chip.Boot();
        Assert.False(decision.StartApplication);
        Assert.Equal(StayReason.IdentityMismatch, decision.StayReason);
        Assert.Equal(DeviceLifecycle.Blank, chip.Lifecycle);
        Assert.Null(chip.Certificate);
        FirmwareImage image = Kit.Image(chipProfile, RegionKind.Application, Kit.V(2));
        long operations = chip.Flash.Statistics.OperationCount;
        Assert.Equal(BootloaderError.NotProvisioned, await Kit.ErrorOf(() => Kit.BeginAsync(Kit.Client(chip), UpdateTarget.Application, image)));
        Assert.Equal(operations, chip.Flash.Statistics.OperationCount);
        using ProvisioningClient client = Client(chip);
        var e = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.AuthenticateAsync(new byte[32]));
        Assert.True(ProvisioningInterface.TryGetError(e, out ProvisioningError code) && code == ProvisioningError.NotProvisioned);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Certified_key_without_its_record_is_provisioning_damaged_not_blank_keeps_its_key_and_reinstalling_the_certificate_repairs_it()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        string keyFile = Path.Combine(Path.GetTempPath(), $"csa-damaged-{Guid.NewGuid():N}.keystore");
        try
        {
            var keys = new SecureKeyStorage(keyFile);
            SimulatedFlash flash = Kit.StrictFlash(profile);
            FactoryProgrammer.Program(profile, flash, Kit.Image(profile, RegionKind.BootloaderA, Kit.V(1)), application: Kit.Image(profile, RegionKind.Application, Kit.V(1)));
            SimulatedFlash factory = flash.Clone();
            var genuine = new DeviceFirmware(profile, flash, TimeProvider.System, keys);
            genuine.Boot();
            DeviceCertificate certificate = await ProvisionAsync(genuine);
            Assert.True(keys.IsCertified);
            Assert.Equal(certificate.ComputeDigest(), keys.CertifiedCertificateDigest);
            Assert.True(new SecureKeyStorage(keyFile).IsCertified); // kept with the key across restarts
            EcP256PublicKey certifiedKey = keys.IdentityPublicKey!;

            // The Provisioning region loses its record (here: the chip's flash as the factory left it, the key storage intact).
            var damaged = new DeviceFirmware(profile, factory, TimeProvider.System, new SecureKeyStorage(keyFile));
            BootDecision decision = damaged.Boot();
            Assert.False(decision.StartApplication);
            Assert.Equal(StayReason.ProvisioningDamaged, decision.StayReason);
            Assert.Equal(BootloaderError.NotProvisioned, await Kit.ErrorOf(() => Kit.BeginAsync(Kit.Client(damaged), UpdateTarget.Application, Kit.Image(profile, RegionKind.Application, Kit.V(2)))));
            using (ProvisioningClient client = Client(damaged))
            {
                // A station that took it for blank cannot make it replace its certified key.
                var e = await Assert.ThrowsAsync<Rpc.RpcErrorException>(() => client.GenerateIdentityKeyAsync(new byte[32]));
                Assert.True(ProvisioningInterface.TryGetError(e, out ProvisioningError code) && code == ProvisioningError.AlreadyProvisioned);
                Assert.Equal(certifiedKey, damaged.KeyStorage.IdentityPublicKey);
                // Its certificate from the manufacturer's records repairs it.
                InstallCertificateResponse installed = await client.InstallCertificateAsync(certificate.ToArray());
                Assert.Equal(DeviceLifecycle.Provisioned, installed.Lifecycle);
            }
            Assert.True(damaged.Boot().StartApplication);
        }
        finally
        {
            File.Delete(keyFile);
            File.Delete(keyFile + ".certified");
        }
    }

    public static TheoryData<FlashFamily> Families() => new() { FlashFamily.Stm32F4, FlashFamily.Stm32L4 };

    /// <summary>Every cut point (each costs milliseconds on the device model): the CI run covers them all.</summary>
    [Theory]
    [MemberData(nameof(Families))]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task Power_cuts_during_provisioning_and_during_its_retry_leave_blank_or_provisioned_all(FlashFamily family) => SweepAsync(family, every: 1);

    private static IEnumerable<PowerCutPlan> Plans(long operations)
    {
        for (long i = 0; i < operations; i++)
        {
            yield return PowerCutPlan.BeforeOperation(i);
            foreach (TornEraseStyle style in Enum.GetValues<TornEraseStyle>())
                foreach (int seed in new[] { 1, 2, 3 })
                    yield return PowerCutPlan.DuringOperationAt(i, seed, style);
        }
    }

    private static async Task SweepAsync(FlashFamily family, int every)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware pristine, SimulatedFlash factory) = Device(profile);
        SimulatedFlash reference = factory.Clone();
        long before = reference.Statistics.OperationCount;
        var referenceFirmware = new DeviceFirmware(profile, reference, TimeProvider.System, new SecureKeyStorage());
        referenceFirmware.Boot();
        await ProvisionAsync(referenceFirmware);
        long operations = reference.Statistics.OperationCount - before;
        Assert.Equal(3, operations); // body, commit marker, write protection
        _ = pristine;

        int cases = 0, blank = 0, provisioned = 0, torn = 0;
        foreach (PowerCutPlan first in Plans(operations))
        {
            // The first cut: the device must come back blank (torn or erased region) or fully provisioned.
            (DeviceFirmware firmware, SimulatedFlash flash) = Device(profile, factory.Clone());
            DeviceLifecycle afterFirst = await CutAsync(firmware, flash, first);
            if (afterFirst == DeviceLifecycle.Blank && !flash.IsBlank(profile.MemoryMap.Provisioning))
                torn++;
            (afterFirst == DeviceLifecycle.Blank ? ref blank : ref provisioned)++;

            // A second cut during the retry (which erases a torn record first), at every operation of the retry, in a slice.
            SimulatedFlash afterFirstCut = flash.Clone();
            SimulatedFlash counting = afterFirstCut.Clone();
            var countingFirmware = new DeviceFirmware(profile, counting, TimeProvider.System, KeysOf(firmware));
            countingFirmware.Boot();
            long retryStart = counting.Statistics.OperationCount;
            await ProvisionAsync(countingFirmware);
            long retryOperations = counting.Statistics.OperationCount - retryStart;
            foreach (PowerCutPlan second in Plans(retryOperations))
            {
                if (cases++ % every != 0)
                    continue;
                SimulatedFlash again = afterFirstCut.Clone();
                var retry = new DeviceFirmware(profile, again, TimeProvider.System, KeysOf(firmware));
                retry.Boot();
                await CutAsync(retry, again, second);
                // And a clean run always completes it.
                DeviceCertificate certificate = await ProvisionAsync(retry);
                retry.Boot();
                Assert.Equal(DeviceLifecycle.Provisioned, retry.Lifecycle);
                Assert.Equal(certificate, retry.Certificate);
                Assert.True(retry.ProvisioningLocked);
            }
        }
        Assert.True(blank > 0 && provisioned > 0 && torn > 0, $"blank {blank}, provisioned {provisioned}, torn {torn}");
    }

    /// <summary>The same chip's key storage (a power cut does not lose the silicon's keys).</summary>
    private static SecureKeyStorage KeysOf(DeviceFirmware firmware) =>
        firmware.KeyStorage.ExtractByInvasiveAttack() is { } key ? new SecureKeyStorage(key) : new SecureKeyStorage();

    private static async Task<DeviceLifecycle> CutAsync(DeviceFirmware firmware, SimulatedFlash flash, PowerCutPlan plan)
    {
        flash.ArmPowerCut(plan);
        try
        {
            await ProvisionAsync(firmware);
        }
        catch (Exception e) when (e is PowerLossException or Rpc.RpcErrorException)
        {
            // The power failed under a command (the loopback surfaces it as the handler's exception).
        }
        flash.DisarmPowerCut();
        flash.PowerOn();
        firmware.Boot();
        DeviceLifecycle lifecycle = firmware.Lifecycle;
        if (lifecycle == DeviceLifecycle.Provisioned)
        {
            DeviceCertificate certificate = firmware.Certificate!;
            Assert.Equal(firmware.Profile.Uid, certificate.Uid);
            Assert.Equal(firmware.KeyStorage.IdentityPublicKey!.ToUncompressedPoint(), certificate.GetUncompressedPublicKey());
            Assert.True(firmware.LastBoot!.StartApplication, $"{plan}: a provisioned device starts its valid application");
        }
        else
        {
            Assert.Null(firmware.Certificate);
            Assert.Equal(StayReason.NotProvisioned, firmware.LastBoot!.StayReason);
        }
        return lifecycle;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException("Csa.sln not found above the test output directory.");
    }

    private static byte[] Golden(string doc, string name)
    {
        Match m = Regex.Match(doc, "<!-- golden:" + Regex.Escape(name) + " -->\\s*```[a-z]*\\n(?<hex>[^`]*)```");
        Assert.True(m.Success, $"docs/security.md has no golden block '{name}'");
        return Convert.FromHexString(string.Concat(m.Groups["hex"].Value.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))).Replace(" ", string.Empty, StringComparison.Ordinal));
    }
}

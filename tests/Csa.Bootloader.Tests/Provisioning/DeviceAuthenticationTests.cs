using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// REQ-AUTH-DEV and REQ-KEY-EXPOSURE: a clone that copied a genuine device's flash but not its identity key fails
/// authentication and gets no firmware; every secret of one device gains nothing against another.
/// </summary>
public sealed class DeviceAuthenticationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csa-clone-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Clone_with_a_copied_flash_fails_authentication_and_gets_not_one_byte_of_firmware(bool cloneHasAKeyOfItsOwn)
    {
        DeviceProfile profile = ProvisioningKit.Profile(10);
        string copy = Path.Combine(_dir, "genuine.flash");
        using CancellationTokenSource guard = Rig.Guard();
        await using (Rig genuine = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile, withApplication: true)))
        {
            await ProvisioningKit.ProvisionAllAsync(genuine);
            // The genuine device authenticates and is updated.
            var updater = new FirmwareUpdater(genuine.Network, ProvisioningKit.AuthenticatingOptions());
            await updater.UpdateApplicationAsync(genuine.Devices[0], DeviceKit.App(profile, DeviceKit.V2), null, guard.Token);
            // The cloner reads out every byte of its flash (OTP, option bytes and unique id included).
            FlashImageFile.Save(genuine.Virtual[0].Flash, copy);
        }

        // The clone claims the genuine unique id and runs the copied flash; its key storage is empty or holds the cloner's key.
        SecureKeyStorage keys = cloneHasAKeyOfItsOwn ? new SecureKeyStorage(KeyGenerator.Generate(KeyRole.DeviceIdentity)) : new SecureKeyStorage();
        await using Rig rig = await Rig.StarAsync(1, _ => new VirtualDevice(profile, ProvisioningKit.Options(profile, copy, keys)));
        VirtualDevice clone = rig.Virtual[0];
        // It holds the genuine certificate, but the start-up check finds it is not this chip's (its key storage holds
        // another key or none): the clone is not Provisioned and starts no application, not even the copied one.
        Assert.Equal(DeviceLifecycle.Blank, clone.Firmware.Lifecycle);
        Assert.Null(clone.Firmware.Certificate);
        Assert.False(clone.Firmware.LastBoot!.StartApplication);
        Assert.Equal(StayReason.IdentityMismatch, clone.Firmware.LastBoot.StayReason);
        (long ops, long blocks) = ProvisioningKit.WriteMarks(clone);

        var failed = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            ProvisioningKit.Authenticator().AuthenticateAsync(rig.Network, rig.Devices[0], guard.Token));
        Assert.Equal(DeviceAuthenticationFailure.NotProvisioned, failed.Reason);
        // The device itself refuses firmware, even from a host that does not authenticate.
        var unauthenticated = new FirmwareUpdater(rig.Network, new UpdateOptions());
        var rejected = await Assert.ThrowsAsync<UpdateRejectedException>(() =>
            unauthenticated.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V3, counter: 2), null, guard.Token));
        Assert.Equal(BootloaderError.NotProvisioned, rejected.DeviceError);

        var updaterForClone = new FirmwareUpdater(rig.Network, ProvisioningKit.AuthenticatingOptions());
        var refused = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            updaterForClone.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V3, counter: 2), null, guard.Token));
        Assert.Equal(failed.Reason, refused.Reason);
        IReadOnlyList<InstallResult> install = await updaterForClone.InstallAsync(rig.Devices, DeviceKit.App(profile, DeviceKit.V3, counter: 2), 1, null, guard.Token);
        Assert.False(install[0].Succeeded);
        Assert.IsType<DeviceAuthenticationException>(install[0].Error);
        Assert.Equal((ops, blocks), ProvisioningKit.WriteMarks(clone));
        Assert.Equal(DeviceKit.V2, clone.Firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task Another_device_answering_the_uid_after_enter_bootloader_gets_no_firmware_even_with_a_genuine_certificate_of_its_own()
    {
        // Two devices claim the same unique id; each holds a genuine certificate for its own key (the worst case: the
        // impostor got a certificate of its own). The genuine one runs its application; the impostor waits in its bootloader.
        DeviceProfile profile = ProvisioningKit.Profile(12);
        // A daisy chain: the impostor sits between the host and the genuine device, on the same link.
        await using Rig rig = await Rig.ChainAsync(2, i => ProvisioningKit.Blank(profile, withApplication: i == 1));
        using CancellationTokenSource guard = Rig.Guard();
        foreach (DeviceInfo d in rig.Devices)
            Assert.True((await ProvisioningKit.Station().ProvisionAsync(rig.Network, d, guard.Token)).Succeeded);
        VirtualDevice genuine = rig.Virtual[1], impostor = rig.Virtual[0];
        Assert.NotEqual(genuine.Firmware.Certificate, impostor.Firmware.Certificate);
        await genuine.ResetAsync(ResetMode.Normal, guard.Token);
        Assert.Equal(VirtualDeviceState.Application, genuine.State);
        DeviceInfo[] refreshed = await Task.WhenAll(rig.Devices.Select(d => rig.Network.RefreshAsync(d, guard.Token)));
        DeviceInfo target = refreshed.Single(d => !d.IsInBootloader);

        // When the genuine device restarts into its bootloader (EnterBootloader), it goes dark: whatever answers its
        // unique id afterwards is the impostor.
        int cut = 0;
        genuine.StateChanged += (_, change) =>
        {
            if (change.Previous == VirtualDeviceState.Off && change.Current == VirtualDeviceState.Bootloader && Interlocked.Exchange(ref cut, 1) == 0)
                _ = Task.Run(() => genuine.PowerOffAsync());
        };
        (long ops, long blocks) = ProvisioningKit.WriteMarks(impostor);

        var updater = new FirmwareUpdater(rig.Network, ProvisioningKit.AuthenticatingOptions());
        var refused = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            updater.UpdateApplicationAsync(target, DeviceKit.App(profile, DeviceKit.V2), null, guard.Token));
        Assert.Equal(DeviceAuthenticationFailure.IdentityChanged, refused.Reason);
        Assert.Equal(1, Volatile.Read(ref cut));
        Assert.Equal((ops, blocks), ProvisioningKit.WriteMarks(impostor));
        Assert.Null(impostor.Firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task Update_authentication_checks_the_certificate_against_the_images_product_not_against_what_the_device_reports()
    {
        DeviceProfile profile = ProvisioningKit.Profile(14);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        await ProvisioningKit.ProvisionAllAsync(rig);
        using CancellationTokenSource guard = Rig.Guard();
        (long ops, long blocks) = ProvisioningKit.WriteMarks(rig.Virtual[0]);
        // An image for another device class of the same vendor: the device's certificate (class 1) does not cover it.
        var otherClass = new DeviceProfile
        {
            MemoryMap = profile.MemoryMap, Uid = profile.Uid, TrustedSigningKeys = profile.TrustedSigningKeys,
            VendorId = profile.VendorId, DeviceClassId = profile.DeviceClassId + 1,
        };
        var updater = new FirmwareUpdater(rig.Network, ProvisioningKit.AuthenticatingOptions());
        var refused = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            updater.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(otherClass, DeviceKit.V2), null, guard.Token));
        Assert.Equal(DeviceAuthenticationFailure.WrongProduct, refused.Reason);
        Assert.Equal((ops, blocks), ProvisioningKit.WriteMarks(rig.Virtual[0]));
        // The image for its own class goes through.
        await updater.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V2), null, guard.Token);
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task Every_secret_of_device_a_gains_nothing_against_device_b_or_a_blank_device()
    {
        DeviceProfile profileA = ProvisioningKit.Profile(20, requireEncryption: true);
        DeviceProfile profileB = ProvisioningKit.Profile(21, requireEncryption: true);
        DeviceProfile profileC = ProvisioningKit.Profile(22, requireEncryption: true);
        DeviceProfile[] profiles = [profileA, profileB, profileC];
        await using Rig rig = await Rig.StarAsync(3, i => ProvisioningKit.Blank(profiles[i]));
        using CancellationTokenSource guard = Rig.Guard();
        DeviceInfo a = rig.InfoOf(rig.Virtual[0]), b = rig.InfoOf(rig.Virtual[1]), c = rig.InfoOf(rig.Virtual[2]);
        IReadOnlyList<ProvisioningResult> provisioned = await ProvisioningKit.Station().ProvisionAllAsync(rig.Network, [a, b], 2, null, guard.Token);
        Assert.All(provisioned, r => Assert.True(r.Succeeded, r.Error));

        // Everything device A holds: its identity key (read out of its key storage) and its whole flash (its certificate).
        EcP256PrivateKey keyOfA = rig.Virtual[0].KeyStorage.ExtractByInvasiveAttack()!;
        DeviceCertificate certificateOfA = rig.Virtual[0].Firmware.Certificate!;

        // 1. B's encrypted images stay unreadable: its image has no entry for A, and A's key opens no entry of it.
        DeviceAuthenticationReport report = await ProvisioningKit.Authenticator().AuthenticateAllAsync(rig.Network, [a, b], guard.Token);
        var settings = new ImageSettings { VendorId = profileA.VendorId, DeviceClassId = profileA.DeviceClassId, Version = DeviceKit.V2, SecurityCounter = 1 };
        IReadOnlyDictionary<DeviceUid, FirmwareImage> images = await AuthenticatedImages.BuildPerDeviceAsync(settings,
            FirmwareSource.FromBinary(DeviceKit.Payload(20_000, 3), profileA.MemoryMap.Application.Address), DeviceKit.Signer,
            new AesCtrEciesPayloadEncryptor(), report.Authenticated, guard.Token);
        FirmwareImage imageOfB = images[b.Uid];
        Assert.Null(imageOfB.FindWrappedKey(a.Uid));
        byte[] context = SHA256.HashData(imageOfB.ManifestBytes.Span);
        Assert.All(imageOfB.WrappedKeys, e => Assert.False(new AesCtrEciesPayloadDecryptor(keyOfA).TryUnwrapKey(e.WrappedKey.Span, context, out _)));
        // And B's image installed on A (a device holding A's key) is refused: bound to B, no key for A.
        var updater = new FirmwareUpdater(rig.Network, ProvisioningKit.AuthenticatingOptions());
        await Assert.ThrowsAsync<UpdateRejectedException>(() => updater.UpdateApplicationAsync(a, imageOfB, null, guard.Token));

        // 2. No image the devices accept can be signed with A's key.
        FirmwareImage signedByA = DeviceKit.Image(profileB, RegionKind.Application, DeviceKit.V3, signer: new EcdsaP256Signer(keyOfA), counter: 2,
            encrypt: true, recipientKey: EcP256PublicKey.FromUncompressedPoint(rig.Virtual[1].Firmware.Certificate!.GetUncompressedPublicKey()));
        var forged = await Assert.ThrowsAsync<UpdateRejectedException>(() => updater.UpdateApplicationAsync(b, signedByA, null, guard.Token));
        Assert.Equal(BootloaderError.UnknownKey, forged.DeviceError);

        // 3. A's certificate (with A's key) does not authenticate B's unique id.
        DeviceAuthenticator authenticator = ProvisioningKit.Authenticator();
        byte[] challenge = ProvisioningMessages.NewNonce();
        byte[] answerAsB = new EcdsaP256Signer(keyOfA).Sign(ProvisioningMessages.Authentication(b.Uid, challenge, certificateOfA.ComputeDigest()));
        var impostor = Assert.Throws<DeviceAuthenticationException>(() =>
            authenticator.Verify(b.Uid, b.VendorId, b.DeviceClassId, challenge, certificateOfA.ToArray(), answerAsB));
        Assert.Equal(DeviceAuthenticationFailure.UidMismatch, impostor.Reason);
        // ... nor B's certificate with A's key.
        DeviceCertificate certificateOfB = rig.Virtual[1].Firmware.Certificate!;
        byte[] answerWithB = new EcdsaP256Signer(keyOfA).Sign(ProvisioningMessages.Authentication(b.Uid, challenge, certificateOfB.ComputeDigest()));
        Assert.Equal(DeviceAuthenticationFailure.BadChallengeSignature, Assert.Throws<DeviceAuthenticationException>(() =>
            authenticator.Verify(b.Uid, b.VendorId, b.DeviceClassId, challenge, certificateOfB.ToArray(), answerWithB)).Reason);

        // 4. No blank device can be provisioned with A's key posing as a production key.
        var refused = await Assert.ThrowsAsync<ProvisioningException>(() =>
            ProvisioningKit.Station(new PemProductionSigner(keyOfA), profileC).ProvisionAsync(rig.Network, c, guard.Token));
        Assert.Equal(ProvisioningError.UnknownIssuer, refused.DeviceError);
        Assert.Equal(DeviceLifecycle.Blank, rig.Virtual[2].Firmware.Lifecycle);

        // B is untouched and still installs its own image.
        await updater.UpdateApplicationAsync(b, imageOfB, null, guard.Token);
        Assert.Equal(DeviceKit.V2, rig.Virtual[1].Firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    public async Task Each_authentication_uses_a_fresh_challenge_so_an_old_answer_is_worthless()
    {
        DeviceProfile profile = ProvisioningKit.Profile(30);
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        await ProvisioningKit.ProvisionAllAsync(rig);
        using CancellationTokenSource guard = Rig.Guard();
        using var client = new ProvisioningClient(rig.Network.Client, rig.Devices[0].Address);
        byte[] recorded = ProvisioningMessages.NewNonce();
        AuthenticateResponse old = await client.AuthenticateAsync(new AuthenticateRequest(recorded), null, guard.Token);
        DeviceAuthenticator authenticator = ProvisioningKit.Authenticator();
        Assert.Equal(profile.Uid, authenticator.Verify(profile.Uid, profile.VendorId, profile.DeviceClassId, recorded, old.Certificate, old.Signature).Uid);
        // Replayed against any other challenge, the recorded answer fails.
        Assert.Equal(DeviceAuthenticationFailure.BadChallengeSignature, Assert.Throws<DeviceAuthenticationException>(() =>
            authenticator.Verify(profile.Uid, profile.VendorId, profile.DeviceClassId, ProvisioningMessages.NewNonce(), old.Certificate, old.Signature)).Reason);
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// REQ-AUTH-DEV and REQ-KEY-EXPOSURE against both implementations: a clone that copied every byte of a genuine
/// device's flash (its certificate, firmware and unique id) but not its key storage stays in its bootloader with
/// IdentityMismatch, fails authentication and gets not one byte of firmware; every secret of device A (its identity
/// key read out of its key storage, its certificate) gains nothing against device B or a blank device.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class AuthenticationConformanceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("csa-clone-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<DeviceImplementation, FlashFamily, bool> Clones() => new()
    {
        { DeviceImplementation.CSharp, FlashFamily.Stm32F4, false },
        { DeviceImplementation.C, FlashFamily.Stm32F4, false },
        { DeviceImplementation.CSharp, FlashFamily.Stm32L4, true },
        { DeviceImplementation.C, FlashFamily.Stm32L4, true },
    };

    [Theory]
    [MemberData(nameof(Clones))]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    public async Task A_clone_with_the_copied_flash_stays_in_its_bootloader_fails_authentication_and_gets_no_firmware(DeviceImplementation implementation, FlashFamily family, bool cloneHasAKeyOfItsOwn)
    {
        var product = new ConformanceProduct(family, 30) { RequireProvisioning = true };
        using CancellationTokenSource guard = Guard();
        string copy = Path.Combine(_directory, "genuine.flash");
        await using (IDeviceUnderTest genuine = await DevicesUnderTest.StartAsync(implementation, product, Factory(product)))
        {
            await using ConformanceHost host = await ConformanceHost.ConnectAsync(genuine, SecurityKit.AuthenticatingOptions(), guard.Token);
            Assert.True((await SecurityKit.Station(product).ProvisionAsync(host.Network, host.Device, guard.Token)).Succeeded);
            // The genuine device authenticates and is updated.
            await host.Updater.UpdateApplicationAsync(await host.ReadAsync(guard.Token), Image(product, RegionKind.Application, V2, counter: 2), null, guard.Token);
            Assert.Equal(V2, (await host.ReadAsync(guard.Token)).ApplicationVersion);
            // The cloner reads out every byte of its flash (OTP, option bytes and unique id included).
            await genuine.SaveFlashAsync(copy);
        }

        // The clone runs the copied flash under the genuine unique id; its key storage is empty or holds the cloner's key.
        EcP256PrivateKey? clonersKey = cloneHasAKeyOfItsOwn ? KeyGenerator.Generate(KeyRole.DeviceIdentity) : null;
        await using IDeviceUnderTest clone = await DevicesUnderTest.StartFromFlashAsync(implementation, product, copy, clonersKey);
        await using ConformanceHost cloneHost = await ConformanceHost.ConnectAsync(clone, SecurityKit.AuthenticatingOptions(), guard.Token);
        // It holds the genuine certificate, but the start-up check finds it is not this chip's: not Provisioned, and it
        // starts no application, not even the copied one.
        Assert.True(cloneHost.Device.IsInBootloader);
        Assert.True(cloneHost.Device.ApplicationValid);
        Assert.Equal(StayReason.IdentityMismatch, cloneHost.Device.Bootloader!.StayReason);
        GetProvisioningStatusResponse status = await SecurityKit.StatusAsync(cloneHost, guard.Token);
        Assert.Equal((DeviceLifecycle.Blank, 0), (status.Lifecycle, status.Certificate.Length));
        long operations = await clone.FlashOperationsAsync();
        FlashSnapshot before = clone.Snapshot();

        var failed = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            SecurityKit.Authenticator().AuthenticateAsync(cloneHost.Network, cloneHost.Device, guard.Token));
        Assert.Equal(DeviceAuthenticationFailure.NotProvisioned, failed.Reason);
        // The device itself refuses firmware, even from a host that does not authenticate.
        var unauthenticated = new FirmwareUpdater(cloneHost.Network, ConformanceHost.Options());
        var rejected = await Assert.ThrowsAsync<UpdateRejectedException>(() =>
            unauthenticated.UpdateApplicationAsync(cloneHost.Device, Image(product, RegionKind.Application, V3, counter: 3), null, guard.Token));
        Assert.Equal(BootloaderError.NotProvisioned, rejected.DeviceError);
        var refused = await Assert.ThrowsAsync<DeviceAuthenticationException>(() =>
            cloneHost.Updater.UpdateApplicationAsync(cloneHost.Device, Image(product, RegionKind.Application, V3, counter: 3), null, guard.Token));
        Assert.Equal(failed.Reason, refused.Reason);
        Assert.Equal(operations, await clone.FlashOperationsAsync());
        Assert.Empty(clone.Snapshot().DifferingRegions(before));
        Assert.Equal(V2, (await cloneHost.ReadAsync(guard.Token)).ApplicationVersion);
    }

    [Theory]
    [InlineData(DeviceImplementation.CSharp, FlashFamily.Stm32F4)]
    [InlineData(DeviceImplementation.C, FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Threat", "THREAT.KEY.EXPOSURE")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task Every_secret_of_device_A_gains_nothing_against_device_B_or_a_blank_device(DeviceImplementation implementation, FlashFamily family)
    {
        var productA = new ConformanceProduct(family, 40) { RequireProvisioning = true, RequireEncryption = true };
        var productB = new ConformanceProduct(family, 41) { RequireProvisioning = true, RequireEncryption = true };
        var productC = new ConformanceProduct(family, 42) { RequireProvisioning = true, RequireEncryption = true };
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest a = await DevicesUnderTest.StartAsync(implementation, productA, Factory(productA, withApplication: false));
        await using IDeviceUnderTest b = await DevicesUnderTest.StartAsync(implementation, productB, Factory(productB, withApplication: false));
        await using IDeviceUnderTest c = await DevicesUnderTest.StartAsync(implementation, productC, Factory(productC, withApplication: false));
        await using ConformanceHost hostA = await ConformanceHost.ConnectAsync(a, SecurityKit.AuthenticatingOptions(localPreCheck: false), guard.Token);
        await using ConformanceHost hostB = await ConformanceHost.ConnectAsync(b, SecurityKit.AuthenticatingOptions(localPreCheck: false), guard.Token);
        await using ConformanceHost hostC = await ConformanceHost.ConnectAsync(c, cancellationToken: guard.Token);
        Assert.True((await SecurityKit.Station(productA).ProvisionAsync(hostA.Network, hostA.Device, guard.Token)).Succeeded);
        Assert.True((await SecurityKit.Station(productB).ProvisionAsync(hostB.Network, hostB.Device, guard.Token)).Succeeded);

        // Everything device A holds: its identity key (read out of its key storage) and its whole flash (its certificate).
        EcP256PrivateKey keyOfA = a.ExtractIdentityKey()!;
        DeviceCertificate certificateOfA = DeviceCertificate.Parse((await SecurityKit.StatusAsync(hostA, guard.Token)).Certificate);
        AuthenticatedDevice deviceB = await SecurityKit.Authenticator().AuthenticateAsync(hostB.Network, hostB.Device, guard.Token);

        // 1. B's encrypted image stays unreadable: no entry for A, and A's key opens none of its entries; installed on
        //    A (which holds A's key), the device refuses it before anything is erased.
        byte[] payload = SecurityKit.Payload(30_000, 41);
        FirmwareImage imageOfB = await SecurityKit.EncryptedAsync(productB, payload, V2, 2, [(deviceB.Uid, deviceB.PublicKey)], bind: true);
        Assert.Null(imageOfB.FindWrappedKey(productA.Uid));
        byte[] context = SHA256.HashData(imageOfB.ManifestBytes.Span);
        Assert.All(imageOfB.WrappedKeys, e => Assert.False(new AesCtrEciesPayloadDecryptor(keyOfA).TryUnwrapKey(e.WrappedKey.Span, context, out _)));
        FirmwareImage imageOfBOnA = await SecurityKit.EncryptedAsync(productA, payload, V2, 2, [(productA.Uid, deviceB.PublicKey)]);
        long operationsOfA = await a.FlashOperationsAsync();
        var unwrap = await Assert.ThrowsAsync<UpdateRejectedException>(() => hostA.Updater.UpdateApplicationAsync(hostA.Device, imageOfBOnA, null, guard.Token));
        Assert.Equal(BootloaderError.KeyUnwrapFailed, unwrap.DeviceError);
        Assert.Equal(operationsOfA, await a.FlashOperationsAsync());

        // 2. Firmware signed with A's key is refused by B (not a trusted signing key), even when wrapped for B.
        FirmwareImage signedByA = await SecurityKit.EncryptedAsync(productB, payload, V3, 3, [(deviceB.Uid, deviceB.PublicKey)], signer: new EcdsaP256Signer(keyOfA));
        DeviceInfo currentB = await hostB.ReadAsync(guard.Token);
        var forged = await Assert.ThrowsAsync<UpdateRejectedException>(() => hostB.Updater.UpdateApplicationAsync(currentB, signedByA, null, guard.Token));
        Assert.Equal(BootloaderError.UnknownKey, forged.DeviceError);

        // 3. A's certificate does not authenticate B's unique id, nor B's certificate an answer signed with A's key.
        DeviceAuthenticator authenticator = SecurityKit.Authenticator();
        byte[] challenge = ProvisioningMessages.NewNonce();
        byte[] answerAsB = new EcdsaP256Signer(keyOfA).Sign(ProvisioningMessages.Authentication(productB.Uid, challenge, certificateOfA.ComputeDigest()));
        Assert.Equal(DeviceAuthenticationFailure.UidMismatch, Assert.Throws<DeviceAuthenticationException>(() =>
            authenticator.Verify(productB.Uid, productB.VendorId, productB.DeviceClassId, challenge, certificateOfA.ToArray(), answerAsB)).Reason);
        byte[] answerWithB = new EcdsaP256Signer(keyOfA).Sign(ProvisioningMessages.Authentication(productB.Uid, challenge, deviceB.Certificate.ComputeDigest()));
        Assert.Equal(DeviceAuthenticationFailure.BadChallengeSignature, Assert.Throws<DeviceAuthenticationException>(() =>
            authenticator.Verify(productB.Uid, productB.VendorId, productB.DeviceClassId, challenge, deviceB.Certificate.ToArray(), answerWithB)).Reason);

        // 4. A's key posing as a production key provisions no blank device: C refuses the certificate and stays blank.
        var refused = await Assert.ThrowsAsync<ProvisioningException>(() => SecurityKit.Station(productC, keyOfA).ProvisionAsync(hostC.Network, hostC.Device, guard.Token));
        Assert.Equal(ProvisioningError.UnknownIssuer, refused.DeviceError);
        Assert.Equal(DeviceLifecycle.Blank, (await SecurityKit.StatusAsync(hostC, guard.Token)).Lifecycle);

        // B is untouched and installs its own image.
        await hostB.Updater.UpdateApplicationAsync(await hostB.ReadAsync(guard.Token), imageOfB, null, guard.Token);
        Assert.Equal(V2, (await hostB.ReadAsync(guard.Token)).ApplicationVersion);
        SecurityKit.AssertApplicationHolds(b, payload);
    }
}

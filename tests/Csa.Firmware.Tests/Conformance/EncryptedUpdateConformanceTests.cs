using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Rpc.Device;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// Encrypted updates (docs/security.md 4-5) on a product without provisioning whose identity key was put into the
/// key storage in production (the demo's "encrypted, device-bound" device): both implementations take only encrypted
/// images bound to them, refuse plaintext and keys wrapped for another device before anything is erased, and install
/// the right image decrypted while it is written. And both describe provisioned and encrypting products identically.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class EncryptedUpdateConformanceTests
{
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task An_encrypted_device_bound_product_installs_only_images_wrapped_for_its_own_key(DeviceImplementation implementation, FlashFamily family)
    {
        EcP256PrivateKey identity = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        var product = new ConformanceProduct(family, 50) { IdentityKey = identity, RequireEncryption = true, RequireBinding = true };
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, ConformanceHost.Options(localPreCheck: false), guard.Token);
        Assert.False(host.Device.IsInBootloader); // no provisioning: the factory's application runs
        Assert.True(host.Device.Rules!.BootloaderFeatures.HasFlag(FeatureFlags.Encryption));
        Assert.Equal(ImageRequirements.DeviceBinding | ImageRequirements.Encryption, host.Device.Rules.Requirements);
        byte[] applicationBefore = dut.Snapshot().Region(product.Map.Application);
        byte[] payload = SecurityKit.Payload(50_000, 50);

        // A plaintext image, and one whose entry for this device is wrapped with another key: refused before any erase.
        FirmwareImage plain = Image(product, RegionKind.Application, V2, counter: 2, bind: true);
        var plaintext = await Assert.ThrowsAsync<UpdateRejectedException>(() => host.Updater.UpdateApplicationAsync(host.Device, plain, null, guard.Token));
        Assert.Equal(BootloaderError.EncryptionRequired, plaintext.DeviceError);
        FirmwareImage forAnotherKey = await SecurityKit.EncryptedAsync(product, payload, V2, 2,
            [(product.Uid, KeyGenerator.Generate(KeyRole.DeviceIdentity).PublicKey.ToUncompressedPoint())], bind: true);
        DeviceInfo current = await host.ReadAsync(guard.Token);
        var unwrap = await Assert.ThrowsAsync<UpdateRejectedException>(() => host.Updater.UpdateApplicationAsync(current, forAnotherKey, null, guard.Token));
        Assert.Equal(BootloaderError.KeyUnwrapFailed, unwrap.DeviceError);
        Assert.Equal(applicationBefore, dut.Snapshot().Region(product.Map.Application));
        Assert.Equal(V1, (await host.ReadAsync(guard.Token)).ApplicationVersion);

        // Wrapped for its own key: installed, the flash holds the plaintext, the ciphertext nowhere.
        FirmwareImage own = await SecurityKit.EncryptedAsync(product, payload, V2, 2, [(product.Uid, identity.PublicKey.ToUncompressedPoint())], bind: true);
        UpdateResult result = await host.Updater.UpdateApplicationAsync(await host.ReadAsync(guard.Token), own, null, guard.Token);
        Assert.Equal(V2, result.VersionAfter);
        Assert.Equal(V2, (await host.ReadAsync(guard.Token)).ApplicationVersion);
        SecurityKit.AssertApplicationHolds(dut, payload);
        Assert.False(dut.Snapshot().Main.AsSpan().IndexOf(own.Payload.Span[..64]) >= 0, "the ciphertext is in flash");
    }

    /// <summary>
    /// What both implementations report about a provisioned product (blank, in its bootloader) and an encrypting one
    /// (in its application): the features, rules and stay reason, and the Provisioning interface's status.
    /// </summary>
    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-RPC")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task Both_implementations_describe_provisioned_and_encrypting_products_identically(FlashFamily family)
    {
        EcP256PrivateKey identity = KeyGenerator.Generate(KeyRole.DeviceIdentity);
        ConformanceProduct[] products =
        [
            new ConformanceProduct(family, 51) { RequireProvisioning = true },
            new ConformanceProduct(family, 52) { IdentityKey = identity, RequireEncryption = true },
        ];
        using CancellationTokenSource guard = Guard();
        foreach (ConformanceProduct product in products)
        {
            var seen = new List<(DeviceInfo Device, GetProvisioningStatusResponse Status)>();
            foreach (DeviceImplementation implementation in new[] { DeviceImplementation.CSharp, DeviceImplementation.C })
            {
                await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
                await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
                seen.Add((host.Device, await SecurityKit.StatusAsync(host, guard.Token)));
            }
            (DeviceInfo a, GetProvisioningStatusResponse sa) = seen[0];
            (DeviceInfo b, GetProvisioningStatusResponse sb) = seen[1];
            Assert.Equal((a.RunningImage, a.Features, a.ApplicationValid), (b.RunningImage, b.Features, b.ApplicationValid));
            Assert.Equal(a.Rules, b.Rules);
            Assert.Equal(a.Bootloader?.StayReason, b.Bootloader?.StayReason);
            Assert.Equal(sa.Uid, sb.Uid);
            Assert.Equal((sa.Lifecycle, sa.Locked, sa.Certificate.Length), (sb.Lifecycle, sb.Locked, sb.Certificate.Length));
            // A key injected in production is in the C device's key storage (it reports it); the C# device keeps it in
            // its profile, outside its key storage (docs/firmware.md, "Where the C device differs").
            if (product.IdentityKey is null)
                Assert.Equal(sa.HasIdentityKey, sb.HasIdentityKey);
        }
    }
}

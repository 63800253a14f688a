using Csa.Bootloader.Images;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Csa.Bootloader.Protocol;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>Production keys, provisioning-product profiles and devices, and the station and authenticator over them.</summary>
internal static class ProvisioningKit
{
    public static readonly EcP256PrivateKey ProductionKey = KeyGenerator.Generate(KeyRole.Production);

    /// <summary>An attacker's key posing as a production key (a stolen device provisioned by the attacker).</summary>
    public static readonly EcP256PrivateKey ForgedProductionKey = KeyGenerator.Generate(KeyRole.Production);

    public static readonly PemProductionSigner Signer = new(ProductionKey);

    public static ProductionTrustAnchor TrustAnchor => EcdsaP256SignatureVerifier.TrustAnchor(ProductionKey.PublicKey);

    /// <summary>
    /// A product that requires provisioning: the bootloader ships the production key as its trust anchor; no identity
    /// key is configured (the device makes its own).
    /// </summary>
    public static DeviceProfile Profile(int index, FlashFamily family = FlashFamily.Stm32F4, bool requireEncryption = false)
    {
        DeviceProfile p = DeviceKit.Profile(index + 40, family, requireEncryption: requireEncryption);
        return new DeviceProfile
        {
            MemoryMap = p.MemoryMap,
            Uid = p.Uid,
            ProductName = p.ProductName,
            TrustedSigningKeys = p.TrustedSigningKeys,
            RequireEncryption = requireEncryption,
            DowngradePrevention = true,
            FlashTiming = FlashTimingProfile.Instant,
            ProductionTrustAnchors = [ProductionKey.PublicKey],
            RequireProvisioning = true,
        };
    }

    /// <summary>A blank device as the electronics manufacturer delivers it: pre-bootloader and bootloader, optionally an application.</summary>
    /// <remarks>A device whose flash file holds a programmed chip keeps it (a second run of a persisted station).</remarks>
    public static VirtualDevice Blank(DeviceProfile profile, bool withApplication = false, VirtualDeviceOptions? options = null) =>
        DeviceKit.Device(profile, withApplication, options: options ?? Options(profile));

    public static VirtualDeviceOptions Options(DeviceProfile profile, string? flashFile = null, SecureKeyStorage? keys = null) =>
        new() { HeartbeatInterval = null, PublishTelemetry = false, Name = $"dev-{profile.ProductName}", FlashFilePath = flashFile, KeyStorage = keys };

    public static ProvisioningStation Station(IProductionSigner? signer = null, DeviceProfile? profile = null) =>
        new(signer ?? Signer, EcdsaP256SignatureVerifier.Instance, new ProvisioningStationOptions
        {
            VendorId = profile?.VendorId ?? 0x00C5A000,
            DeviceClassId = profile?.DeviceClassId ?? 1,
            Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
            InstallAllowance = TimeSpan.FromMilliseconds(500),
        });

    public static DeviceAuthenticator Authenticator() => new(TrustAnchor, new DeviceAuthenticatorOptions { Retry = new() { Timeout = TimeSpan.FromSeconds(1) } });

    public static UpdateOptions AuthenticatingOptions()
    {
        UpdateOptions options = Rig.FastOptions();
        options = options with { DeviceAuthenticator = Authenticator() };
        return options;
    }

    /// <summary>Provisions every device of the rig and checks that each succeeded.</summary>
    public static async Task<IReadOnlyList<ProvisioningResult>> ProvisionAllAsync(Rig rig)
    {
        using CancellationTokenSource guard = Rig.Guard();
        IReadOnlyList<ProvisioningResult> results = await Station().ProvisionAllAsync(rig.Network, rig.Devices, 4, null, guard.Token);
        foreach (ProvisioningResult r in results)
            Assert.True(r.Succeeded, $"{r.Uid}: {r.Error}");
        return results;
    }

    /// <summary>The flash operation count and the bootloader's programmed blocks: both stay put when nothing is written.</summary>
    public static (long Operations, long Blocks) WriteMarks(VirtualDevice device) =>
        (device.Flash.Statistics.OperationCount, device.Firmware.Bootloader.ProgrammedBlocks);
}

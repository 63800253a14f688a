using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Memory;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// The host side of the security conformance tests: the production station, the authenticator, encrypted images for
/// the authenticated devices, and the raw Provisioning client. The same for both implementations.
/// </summary>
internal static class SecurityKit
{
    /// <summary>A station that signs with <paramref name="productionKey"/> (the genuine production key by default).</summary>
    /// <param name="product">The product whose devices it provisions.</param>
    /// <param name="productionKey">The key it signs with (the genuine production key by default).</param>
    /// <param name="giveUpSoon">
    /// A run the test expects to lose its device under a power cut: one attempt per command with short waits, so the
    /// test does not sit out the resends of a device that is off.
    /// </param>
    public static ProvisioningStation Station(ConformanceProduct product, EcP256PrivateKey? productionKey = null, bool giveUpSoon = false) =>
        new(new PemProductionSigner(productionKey ?? ConformanceKit.ProductionKey), EcdsaP256SignatureVerifier.Instance, new ProvisioningStationOptions
        {
            VendorId = product.VendorId,
            DeviceClassId = product.DeviceClassId,
            // Hang guards for a device that signs in software on a shared machine: never a performance bound.
            Retry = new() { Timeout = giveUpSoon ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3), Attempts = giveUpSoon ? 1 : 3 },
            InstallAllowance = giveUpSoon ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(2),
        });

    public static DeviceAuthenticator Authenticator() =>
        new(EcdsaP256SignatureVerifier.TrustAnchor(ConformanceKit.ProductionKey.PublicKey), new DeviceAuthenticatorOptions { Retry = new() { Timeout = TimeSpan.FromSeconds(3) } });

    /// <summary>The suite's update options with every device authenticated before a byte of firmware is sent.</summary>
    public static UpdateOptions AuthenticatingOptions(bool localPreCheck = true)
    {
        UpdateOptions options = ConformanceHost.Options(localPreCheck);
        options = options with { DeviceAuthenticator = Authenticator() };
        return options;
    }

    public static ProvisioningClient Client(ConformanceHost host) => new(host.Network.Client, host.Device.Address);

    public static async Task<GetProvisioningStatusResponse> StatusAsync(ConformanceHost host, CancellationToken cancellationToken)
    {
        DeviceInfo device = await host.ReadAsync(cancellationToken);
        using var client = new ProvisioningClient(host.Network.Client, device.Address);
        return await client.GetProvisioningStatusAsync(new GetProvisioningStatusRequest(), null, cancellationToken);
    }

    /// <summary>A payload the tests can find again in flash.</summary>
    public static byte[] Payload(int size, int seed)
    {
        var payload = new byte[size];
        new Random(seed).NextBytes(payload);
        return payload;
    }

    /// <summary>An application image for <paramref name="product"/>, encrypted for exactly the given recipients (their unique id and identity key).</summary>
    public static async Task<FirmwareImage> EncryptedAsync(ConformanceProduct product, byte[] payload, FirmwareVersion version, uint counter,
        IEnumerable<(DeviceUid Uid, byte[] PublicKey)> recipients, bool bind = false, IImageSigner? signer = null)
    {
        var settings = new ImageSettings { VendorId = product.VendorId, DeviceClassId = product.DeviceClassId, Version = version, SecurityCounter = counter };
        var list = recipients.ToList();
        if (bind)
        {
            foreach ((DeviceUid uid, _) in list)
                settings.BoundDevices.Add(uid);
        }
        return await new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, product.Map.Application.Address),
            signer ?? new EcdsaP256Signer(ConformanceKit.SigningKey), new AesCtrEciesPayloadEncryptor(),
            list.Select(r => new ImageRecipient(r.Uid, r.PublicKey)));
    }

    /// <summary>The flash's application region holds <paramref name="payload"/> from its start (the plaintext, decrypted while written).</summary>
    public static void AssertApplicationHolds(IDeviceUnderTest dut, byte[] payload)
    {
        FlashSnapshot flash = dut.Snapshot();
        MemoryRegion app = dut.Product.Map.Application;
        Assert.True(flash.Region(app).AsSpan(0, payload.Length).SequenceEqual(payload), "the application region does not hold the plaintext payload");
    }
}

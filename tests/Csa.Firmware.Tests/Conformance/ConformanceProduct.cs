using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// One product both implementations are built as: the chip and its memory map, the unique id, what the bootloader
/// installs (a trusted signing key or checksums, downgrade prevention, binding) and the link limits. The C# device gets
/// it as a <see cref="DeviceProfile"/>, the C device as its command line: the same settings, nothing else.
/// </summary>
internal sealed record ConformanceProduct(FlashFamily Family, int Index = 0)
{
    public bool RequireBinding { get; init; }

    public bool DowngradePrevention { get; init; } = true;

    /// <summary>A checksum-only product: CRC-32 images, no signatures.</summary>
    public bool CrcOnly { get; init; }

    /// <summary>
    /// A product with production keys (docs/security.md 10): the bootloader ships <see cref="ConformanceKit.ProductionKey"/>,
    /// devices make their identity key and take its certificates, and a blank device installs and starts nothing.
    /// </summary>
    public bool RequireProvisioning { get; init; }

    /// <summary>Only encrypted images are installed.</summary>
    public bool RequireEncryption { get; init; }

    /// <summary>
    /// The identity key of a product without provisioning that takes encrypted images: the C# device's
    /// DeviceProfile.IdentityKey, the C device's key put into its key storage in production (--identity-key).
    /// </summary>
    public EcP256PrivateKey? IdentityKey { get; init; }

    /// <summary>
    /// Multicast (the C# DeviceProfile.Multicast, the C device's default; off: <c>--no-multicast</c>): the data link joins
    /// groups and the bootloader advertises the feature.
    /// </summary>
    public bool Multicast { get; init; } = true;

    public ushort MaxFrameSize { get; init; } = 1024;

    public byte ReceiveBuffers { get; init; } = 4;

    public ushort MaxPacketSize { get; init; } = 4096 + 64;

    public uint VendorId => 0x00C5A000;

    public uint DeviceClassId => 1;

    public MemoryMap Map => Family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M;

    /// <summary>A unique id per product index and family, so two devices of a test never share one.</summary>
    public DeviceUid Uid => DeviceUid.FromWords(0x0061_0001u + (uint)Index, Family == FlashFamily.Stm32F4 ? 0x4634_5102u : 0x4C34_5102u, 0x3332_3130u + (uint)Index);

    public string ProductName => $"Conformance {Index}";

    public DeviceProfile ToProfile() => new()
    {
        MemoryMap = Map,
        Uid = Uid,
        VendorId = VendorId,
        DeviceClassId = DeviceClassId,
        ProductName = ProductName,
        Authentication = CrcOnly ? ImageAuthentication.Crc32 : ImageAuthentication.EcdsaP256Sha256,
        TrustedSigningKeys = CrcOnly ? [] : [ConformanceKit.SigningKey.PublicKey],
        DowngradePrevention = DowngradePrevention,
        RequireDeviceBinding = RequireBinding,
        FlashTiming = FlashTimingProfile.Instant,
        MaxFrameSize = MaxFrameSize,
        ReceiveBuffers = ReceiveBuffers,
        MaxPacketSize = MaxPacketSize,
        ProductionTrustAnchors = RequireProvisioning ? [ConformanceKit.ProductionKey.PublicKey] : [],
        RequireProvisioning = RequireProvisioning,
        RequireEncryption = RequireEncryption,
        IdentityKey = IdentityKey,
        Multicast = Multicast,
    };

    /// <summary>The C device's product options (csa-device --help), with the trusted key file.</summary>
    public IEnumerable<string> CArguments(string trustedKeyFile)
    {
        if (RequireProvisioning)
        {
            yield return "--production-key";
            yield return ConformanceKit.ProductionKeyFile;
            yield return "--require-provisioning";
        }
        if (RequireEncryption)
            yield return "--require-encryption";
        yield return "--family";
        yield return Family == FlashFamily.Stm32F4 ? "f4" : "l4";
        yield return "--uid";
        yield return Uid.ToString();
        yield return "--product-name";
        yield return ProductName;
        yield return "--vendor-id";
        yield return $"0x{VendorId:X8}";
        yield return "--device-class";
        yield return DeviceClassId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (CrcOnly)
        {
            yield return "--crc-only";
        }
        else
        {
            yield return "--trust";
            yield return trustedKeyFile;
        }
        if (!DowngradePrevention)
            yield return "--no-downgrade-prevention";
        if (RequireBinding)
            yield return "--require-binding";
        if (!Multicast)
            yield return "--no-multicast";
        yield return "--max-frame";
        yield return MaxFrameSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--rx-buffers";
        yield return ReceiveBuffers.ToString(System.Globalization.CultureInfo.InvariantCulture);
        yield return "--max-packet";
        yield return MaxPacketSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public MemoryRegion RegionOf(RegionKind kind) => Map.RegionOf(kind);

    public override string ToString() => $"{(Family == FlashFamily.Stm32F4 ? "F4" : "L4")}{(Multicast ? "" : " no-multicast")}{(RequireBinding ? " binding" : "")}{(CrcOnly ? " crc" : "")}{(RequireProvisioning ? " provisioned" : "")}{(RequireEncryption ? " encrypted" : "")}";
}

/// <summary>Keys and images of the suite, the same bytes for both implementations.</summary>
internal static class ConformanceKit
{
    public static readonly EcP256PrivateKey SigningKey = DeviceKit.SigningKey;
    public static readonly EcP256PrivateKey UntrustedSigningKey = DeviceKit.UntrustedSigningKey;

    public static readonly FirmwareVersion V1 = DeviceKit.V1;
    public static readonly FirmwareVersion V2 = DeviceKit.V2;
    public static readonly FirmwareVersion V3 = DeviceKit.V3;

    /// <summary>Only a hang guard: generous, never a performance assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(90);

    private static readonly Lazy<string> s_publicKeyFile = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-conformance-{Environment.ProcessId}-signing.pub.pem");
        File.WriteAllText(path, SigningKey.PublicKey.ToPem());
        return path;
    });

    /// <summary>The trusted public key as a PEM file (what the C device's --trust reads).</summary>
    public static string PublicKeyFile => s_publicKeyFile.Value;

    /// <summary>The production key: it signs device certificates at the station; its public half is in every provisioned product's bootloader.</summary>
    public static readonly EcP256PrivateKey ProductionKey = KeyGenerator.Generate(KeyRole.Production);

    /// <summary>An attacker's key posing as a production key (a stolen blank device provisioned by the attacker).</summary>
    public static readonly EcP256PrivateKey ForgedProductionKey = KeyGenerator.Generate(KeyRole.Production);

    private static readonly Lazy<string> s_productionKeyFile = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-conformance-{Environment.ProcessId}-production.pub.pem");
        File.WriteAllText(path, ProductionKey.PublicKey.ToPem());
        return path;
    });

    /// <summary>The production public key as a PEM file (what the C device's --production-key reads).</summary>
    public static string ProductionKeyFile => s_productionKeyFile.Value;

    public static CancellationTokenSource Guard() => new(HangGuard);

    /// <summary>
    /// An image for <paramref name="kind"/>'s region of <paramref name="product"/>, signed by the trusted key (CRC-32 on a
    /// checksum-only product) unless <paramref name="signer"/> says otherwise; cached per distinct request.
    /// </summary>
    public static FirmwareImage Image(ConformanceProduct product, RegionKind kind, FirmwareVersion version, int size = 20_000, uint counter = 1,
        bool bind = false, IImageSigner? signer = null, uint? loadAddress = null, Action<ImageSettings>? tweak = null, string? variant = null) =>
        DeviceKit.Image(product.ToProfile(), kind, version, size, counter, bind, signer: signer, loadAddress: loadAddress, tweak: tweak, variant: variant);

    /// <summary>The factory state of both implementations: bootloader A 1.0 (12 000 bytes) and application 1.0 (20 000 bytes).</summary>
    public static FactoryImages Factory(ConformanceProduct product, bool withApplication = true, uint applicationCounter = 1) =>
        new(Image(product, RegionKind.BootloaderA, V1, size: 12_000, bind: product.RequireBinding),
            withApplication ? Image(product, RegionKind.Application, V1, counter: applicationCounter, bind: product.RequireBinding) : null);
}

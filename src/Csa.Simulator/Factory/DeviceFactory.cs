using System.Collections.Concurrent;
using System.Text;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator;

/// <summary>
/// What a production line makes, for virtual devices: a firmware signing key, images signed with it for a device's
/// regions, and factory-fresh devices (pre-bootloader, bootloader, application, as a production programmer writes them)
/// that are ready to update. The one recipe behind <c>csa sim</c> and <c>csa demo</c>, <see cref="VirtualBench"/>, the
/// samples, the benchmarks and the tests:
/// <code>
/// var factory = new DeviceFactory();
/// var profile = new DeviceProfile { MemoryMap = MemoryMap.Stm32F4_1M, Uid = uid, TrustedSigningKeys = [factory.PublicKey] };
/// await using VirtualDevice device = await factory.CreateDeviceAsync(profile);     // powered off, programmed
/// FirmwareImage update = await factory.BuildImageAsync(profile, RegionKind.Application, new FirmwareVersion(2, 0, 0, 0));
/// </code>
/// Images are signed with <see cref="SigningKey"/> (a checksum-only profile gets CRC-32 images), their payloads are
/// deterministic (a readable banner, then pseudo-random bytes from the version, size and region: two builds of one
/// version hold the same bytes, in this process or another), and they are cached per request. Thread-safe.
/// </summary>
public sealed class DeviceFactory
{
    private readonly ConcurrentDictionary<string, Lazy<Task<FirmwareImage>>> _images = new();
    private readonly EcdsaP256Signer _signer;

    /// <summary>Creates a factory; see <see cref="DeviceFactoryOptions"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size in <see cref="DeviceFactoryOptions.Firmware"/> is below 1.</exception>
    public DeviceFactory(DeviceFactoryOptions? options = null)
    {
        Options = options ?? new DeviceFactoryOptions();
        ArgumentNullException.ThrowIfNull(Options.Firmware, nameof(options));
        Options.Firmware.Validate();
        SigningKey = Options.SigningKey ?? KeyGenerator.Generate(KeyRole.FirmwareSigning);
        _signer = new EcdsaP256Signer(SigningKey);
    }

    /// <summary>The settings.</summary>
    public DeviceFactoryOptions Options { get; }

    /// <summary>The firmware signing key of every image the factory makes for a signature product.</summary>
    public EcP256PrivateKey SigningKey { get; }

    /// <summary>The public half of <see cref="SigningKey"/>: what a device's profile must trust (<see cref="DeviceProfile.TrustedSigningKeys"/>).</summary>
    public EcP256PublicKey PublicKey => SigningKey.PublicKey;

    /// <summary>What signs the images for <paramref name="profile"/>: CRC-32 for a checksum-only product, else <see cref="SigningKey"/>.</summary>
    public IImageSigner SignerFor(DeviceProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return profile.Authentication == ImageAuthentication.Crc32 ? Crc32ImageAuthenticator.Instance : _signer;
    }

    /// <summary>
    /// An image for <paramref name="region"/> of <paramref name="profile"/>: linked for the region's start, for the
    /// profile's vendor and device class, signed for it (see <see cref="SignerFor"/>).
    /// </summary>
    /// <param name="profile">The device the image is for.</param>
    /// <param name="region">A bootloader copy or the application.</param>
    /// <param name="version">The image's version.</param>
    /// <param name="options">Size, counter, binding, encryption; null takes the defaults.</param>
    /// <param name="cancellationToken">Stops waiting for the image.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="region"/> takes no image, or a size is below 1.</exception>
    /// <exception cref="ArgumentException">Encryption was asked for a profile without an identity key, or for no recipient.</exception>
    public Task<FirmwareImage> BuildImageAsync(DeviceProfile profile, RegionKind region, FirmwareVersion version, FactoryImageOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        options ??= Defaults;
        options.Validate();
        if (region is not (RegionKind.BootloaderA or RegionKind.BootloaderB or RegionKind.Application))
            throw new ArgumentOutOfRangeException(nameof(region), region, "Only the bootloader copies and the application take an image.");
        ImageRecipient[] recipients = options.Encrypted ? RecipientsOf(profile, options) : [];
        IImageSigner signer = options.Signer ?? SignerFor(profile);
        if (options.AdjustManifest is not null)
            return BuildCoreAsync(profile, region, version, options, recipients, signer, cancellationToken);
        string key = string.Join('/', profile.MemoryMap.Name, profile.VendorId, profile.DeviceClassId, region, version, options.Size, options.SecurityCounter,
            options.BindToDevice ? profile.Uid.ToString() : "-", string.Join(',', recipients.Select(r => $"{r.Device}:{Convert.ToHexString(r.PublicKey)}")),
            options.LoadAddress, options.Variant, $"{signer.Algorithm}:{Convert.ToHexString(signer.KeyId.Span)}");
        // Built once per request, whoever asks first; a caller's cancellation stops only its own wait.
        Lazy<Task<FirmwareImage>> image = _images.GetOrAdd(key, _ => new Lazy<Task<FirmwareImage>>(
            () => BuildCoreAsync(profile, region, version, options, recipients, signer, CancellationToken.None)));
        return image.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Blocking form of <see cref="BuildImageAsync"/> (scripts, Python).</summary>
    public FirmwareImage BuildImage(DeviceProfile profile, RegionKind region, FirmwareVersion version, FactoryImageOptions? options = null) =>
        BuildImageAsync(profile, region, version, options).GetAwaiter().GetResult();

    /// <summary>
    /// The plaintext payload of the factory's image for <paramref name="region"/>, <paramref name="version"/> and
    /// <paramref name="size"/> (what the device holds after installing it, encrypted or not): the banner
    /// <c>Csa virtual {kind} {version}</c> and a NUL, then pseudo-random bytes seeded by the arguments.
    /// </summary>
    public static byte[] Payload(RegionKind region, FirmwareVersion version, int size, string? variant = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ImageKind kind = KindOf(region);
        var payload = new byte[size];
        // A seed of our own (HashCode is randomized per process): the same image in every process.
        int seed = unchecked((int)version.Ordinal ^ (int)(version.Ordinal >> 32) ^ (size * 31) ^ ((int)kind * 7919) ^ StableHash(variant));
        new Random(seed).NextBytes(payload);
        byte[] banner = Encoding.ASCII.GetBytes($"Csa virtual {kind} {version}{(variant is null ? "" : " " + variant)}\0");
        banner.AsSpan(0, Math.Min(banner.Length, size)).CopyTo(payload);
        return payload;
    }

    /// <summary>
    /// Programs <paramref name="flash"/> as the factory does (see <see cref="FactoryFirmware"/>): the pre-bootloader,
    /// bootloader copy A (and B), the application; bound to the device when its profile requires binding, the application
    /// encrypted for it when the profile requires encryption.
    /// </summary>
    /// <param name="profile">The device's profile.</param>
    /// <param name="flash">Its flash (blank, or it is erased region by region).</param>
    /// <param name="firmware">What to write; null takes <see cref="DeviceFactoryOptions.Firmware"/>.</param>
    /// <param name="cancellationToken">Stops the image builds.</param>
    /// <exception cref="FlashException">The flash refused an operation or lost power.</exception>
    public async Task ProgramAsync(DeviceProfile profile, SimulatedFlash flash, FactoryFirmware? firmware = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(flash);
        firmware ??= Options.Firmware;
        firmware.Validate();
        var bootloader = new FactoryImageOptions
        {
            Size = firmware.BootloaderSize,
            SecurityCounter = firmware.BootloaderSecurityCounter,
            BindToDevice = profile.RequireDeviceBinding,
        };
        FirmwareImage copyA = await BuildImageAsync(profile, RegionKind.BootloaderA, firmware.BootloaderVersion, bootloader, cancellationToken).ConfigureAwait(false);
        FirmwareImage? copyB = firmware.BothBootloaderCopies
            ? await BuildImageAsync(profile, RegionKind.BootloaderB, firmware.BootloaderVersion, bootloader, cancellationToken).ConfigureAwait(false)
            : null;
        FirmwareImage? application = firmware.ApplicationSize is { } size
            ? await BuildImageAsync(profile, RegionKind.Application, firmware.ApplicationVersion, new FactoryImageOptions
            {
                Size = size,
                SecurityCounter = firmware.ApplicationSecurityCounter,
                BindToDevice = profile.RequireDeviceBinding,
                Encrypt = profile.RequireEncryption && profile.IdentityKey is not null,
            }, cancellationToken).ConfigureAwait(false)
            : null;
        FactoryProgrammer.Program(profile, flash, copyA, copyB, application);
    }

    /// <summary>
    /// A factory-fresh device, powered off: made with <paramref name="options"/> (by default quiet: no heartbeats, no
    /// telemetry) and programmed by <see cref="ProgramAsync"/>, its flash statistics counted from then on. A device whose
    /// flash already holds a pre-bootloader (kept in its flash file) is left as it is.
    /// </summary>
    /// <param name="profile">The device's profile; it should trust <see cref="PublicKey"/>.</param>
    /// <param name="options">The device's settings; null: quiet, in-memory flash.</param>
    /// <param name="firmware">What to write; null takes <see cref="DeviceFactoryOptions.Firmware"/>.</param>
    /// <param name="cancellationToken">Stops the image builds.</param>
    public async Task<VirtualDevice> CreateDeviceAsync(DeviceProfile profile, VirtualDeviceOptions? options = null, FactoryFirmware? firmware = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var device = new VirtualDevice(profile, options ?? new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false });
        try
        {
            if (device.Flash.IsBlank(profile.MemoryMap.PreBootloader))
            {
                await ProgramAsync(profile, device.Flash, firmware, cancellationToken).ConfigureAwait(false);
                device.Flash.ResetStatistics();
            }
            return device;
        }
        catch
        {
            await device.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Blocking form of <see cref="CreateDeviceAsync"/> (a synchronous device factory, scripts, Python).</summary>
    public VirtualDevice CreateDevice(DeviceProfile profile, VirtualDeviceOptions? options = null, FactoryFirmware? firmware = null) =>
        CreateDeviceAsync(profile, options, firmware).GetAwaiter().GetResult();

    private static readonly FactoryImageOptions Defaults = new();

    private static ImageKind KindOf(RegionKind region) => region == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader;

    private static ImageRecipient[] RecipientsOf(DeviceProfile profile, FactoryImageOptions options)
    {
        if (options.Recipients is { } given)
            return [.. given];
        EcP256PrivateKey identity = profile.IdentityKey
            ?? throw new ArgumentException($"Device {profile.Uid} has no identity key to encrypt for; give the recipients.", nameof(options));
        return [new ImageRecipient(profile.Uid, identity.PublicKey.ToUncompressedPoint())];
    }

    private static Task<FirmwareImage> BuildCoreAsync(DeviceProfile profile, RegionKind region, FirmwareVersion version, FactoryImageOptions options,
        ImageRecipient[] recipients, IImageSigner signer, CancellationToken cancellationToken)
    {
        var settings = new ImageSettings
        {
            Kind = KindOf(region),
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = version,
            SecurityCounter = options.SecurityCounter,
        };
        if (options.BindToDevice)
            settings.BoundDevices.Add(profile.Uid);
        options.AdjustManifest?.Invoke(settings);
        var source = FirmwareSource.FromBinary(Payload(region, version, options.Size, options.Variant), options.LoadAddress ?? profile.MemoryMap.RegionOf(region).Address);
        var builder = new ImageBuilder(settings);
        return recipients.Length == 0
            ? builder.BuildAsync(source, signer, cancellationToken)
            : builder.BuildAsync(source, signer, new AesCtrEciesPayloadEncryptor(), recipients, cancellationToken);
    }

    /// <summary>FNV-1a over the UTF-16 code units: the same in every process (string.GetHashCode is not).</summary>
    private static int StableHash(string? text)
    {
        if (text is null)
            return 0;
        uint hash = 2166136261;
        foreach (char c in text)
            hash = unchecked((hash ^ c) * 16777619);
        return unchecked((int)hash);
    }
}

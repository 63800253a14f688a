using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Testing;

/// <summary>
/// The device test recipe, one copy for every test project (compiled into each, as Kestrel shares its
/// TestServiceContext): the keys the test devices trust, their profiles, signed images and factory-fresh virtual
/// devices, all made by the SDK's own <see cref="DeviceFactory"/>, and the checks every device test repeats. A test
/// project keeps only what is its own (a rig, a host routine) on top of it.
/// </summary>
internal static class DeviceKit
{
    /// <summary>Only a hang guard: generous, never a performance assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    /// <summary>The firmware signing key every test device trusts.</summary>
    public static readonly EcP256PrivateKey SigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);

    /// <summary>A signing key no test device trusts (an attacker's, or another vendor's).</summary>
    public static readonly EcP256PrivateKey UntrustedSigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);

    /// <summary>Signs with <see cref="SigningKey"/>.</summary>
    public static readonly EcdsaP256Signer Signer = new(SigningKey);

    public static readonly FirmwareVersion V1 = new(1, 0, 0, 1);
    public static readonly FirmwareVersion V2 = new(2, 0, 0, 2);
    public static readonly FirmwareVersion V3 = new(3, 0, 0, 3);

    /// <summary>What a test device leaves the factory with: bootloader copy A <see cref="V1"/> (12 000 bytes) and application <see cref="V1"/> (20 000 bytes), counter 1.</summary>
    public static readonly FactoryFirmware Fresh = new()
    {
        BootloaderVersion = V1,
        BootloaderSize = 12_000,
        ApplicationVersion = V1,
        ApplicationSize = 20_000,
    };

    /// <summary><see cref="Fresh"/> with copy B written too (both copies valid at <see cref="V1"/>): the power-cut and link-fault rigs' devices.</summary>
    public static readonly FactoryFirmware FreshBothCopies = Fresh with { BothBootloaderCopies = true };

    /// <summary>The factory of every test device and image: signs with <see cref="SigningKey"/>, writes <see cref="Fresh"/>.</summary>
    public static readonly DeviceFactory Factory = new(new DeviceFactoryOptions { SigningKey = SigningKey, Firmware = Fresh });

    private static readonly ConcurrentDictionary<int, EcP256PrivateKey> s_identityKeys = new();

    public static CancellationTokenSource Guard() => new(HangGuard);

    /// <summary>The identity key of test device <paramref name="index"/> (one per index, made once).</summary>
    public static EcP256PrivateKey IdentityKey(int index) => s_identityKeys.GetOrAdd(index, _ => KeyGenerator.Generate(KeyRole.DeviceIdentity));

    public static DeviceUid UidOf(int index) => DeviceUid.FromWords(0x0036_0021u + (uint)index, 0x3134_5102u, 0x3332_3130u + (uint)(index * 3));

    /// <summary>A signature product on an STM32F4 (or L4) with instant flash, an identity key and downgrade prevention.</summary>
    public static DeviceProfile Profile(int index = 0, FlashFamily family = FlashFamily.Stm32F4, bool requireBinding = false,
        bool requireEncryption = false, ushort maxFrameSize = 1024, byte receiveBuffers = 4,
        Csa.DataLink.ForwardingMode forwarding = Csa.DataLink.ForwardingMode.CutThrough) => new()
    {
        MemoryMap = family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
        Uid = UidOf(index),
        ProductName = $"Pump {index}",
        TrustedSigningKeys = [SigningKey.PublicKey],
        IdentityKey = IdentityKey(index),
        RequireDeviceBinding = requireBinding,
        RequireEncryption = requireEncryption,
        DowngradePrevention = true,
        FlashTiming = FlashTimingProfile.Instant,
        MaxFrameSize = maxFrameSize,
        ReceiveBuffers = receiveBuffers,
        Forwarding = forwarding,
    };

    /// <summary>
    /// An image for <paramref name="region"/> of <paramref name="profile"/> from <see cref="Factory"/> (cached), signed by
    /// the trusted key unless <paramref name="signer"/> says otherwise. Encrypted for the profile's device and identity
    /// key, or for <paramref name="recipient"/> / <paramref name="recipientKey"/> / <paramref name="recipients"/> when given.
    /// </summary>
    public static FirmwareImage Image(DeviceProfile profile, RegionKind region, FirmwareVersion version, int size = 20_000, uint counter = 1,
        bool bind = false, bool encrypt = false, IImageSigner? signer = null, uint? loadAddress = null, Action<ImageSettings>? tweak = null,
        DeviceUid? recipient = null, EcP256PublicKey? recipientKey = null, IReadOnlyList<ImageRecipient>? recipients = null, string? variant = null)
    {
        if (encrypt && recipients is null && (recipient is not null || recipientKey is not null))
        {
            EcP256PublicKey key = recipientKey ?? profile.IdentityKey?.PublicKey
                ?? throw new ArgumentException("The profile has no identity key; give the recipient's key.", nameof(recipientKey));
            recipients = [new ImageRecipient(recipient ?? profile.Uid, key.ToUncompressedPoint())];
        }
        return Factory.BuildImage(profile, region, version, new FactoryImageOptions
        {
            Size = size,
            SecurityCounter = counter,
            BindToDevice = bind,
            Encrypt = encrypt,
            Recipients = encrypt ? recipients : null,
            Signer = signer,
            LoadAddress = loadAddress,
            Variant = variant,
            AdjustManifest = tweak,
        });
    }

    /// <summary>An application image; see <see cref="Image"/>.</summary>
    public static FirmwareImage App(DeviceProfile profile, FirmwareVersion version, int size = 20_000, uint counter = 1, bool bind = false, bool encrypt = false) =>
        Image(profile, RegionKind.Application, version, size, counter, bind, encrypt);

    /// <summary>The plaintext payload of <see cref="Image"/>'s image for these arguments: what the device holds after installing it.</summary>
    public static byte[] Plaintext(RegionKind region, FirmwareVersion version, int size = 20_000, string? variant = null) =>
        DeviceFactory.Payload(region, version, size, variant);

    /// <summary>Pseudo-random bytes from <paramref name="seed"/> (test data, not an image's payload).</summary>
    public static byte[] Payload(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>
    /// A device programmed as in the factory (<see cref="Fresh"/>, or <paramref name="firmware"/>): pre-bootloader,
    /// bootloader copy A and (optionally) the application, powered off, quiet.
    /// </summary>
    public static VirtualDevice Device(DeviceProfile profile, bool withApplication = true, uint applicationCounter = 1, FactoryFirmware? firmware = null,
        VirtualDeviceOptions? options = null)
    {
        firmware ??= Fresh;
        firmware = withApplication ? firmware with { ApplicationSecurityCounter = applicationCounter } : firmware.WithoutApplication();
        return Factory.CreateDevice(profile, options ?? Quiet(profile), firmware);
    }

    /// <summary>The options of a test device: no heartbeats, no telemetry, named after its product.</summary>
    public static VirtualDeviceOptions Quiet(DeviceProfile profile) =>
        new() { HeartbeatInterval = null, PublishTelemetry = false, Name = $"dev-{profile.ProductName}" };

    /// <summary>The image with one payload byte flipped (manifest and signature untouched).</summary>
    public static FirmwareImage WithTamperedPayload(FirmwareImage image)
    {
        byte[] bytes = image.ToArray();
        bytes[image.ManifestBytes.Length + (image.Payload.Length / 2)] ^= 0x01;
        return ImageReader.Parse(bytes);
    }

    /// <summary>The image with its manifest's version field changed after signing (the signature no longer holds).</summary>
    public static FirmwareImage WithTamperedManifest(FirmwareImage image)
    {
        byte[] bytes = image.ToArray();
        bytes[20] ^= 0x01; // inside the version / counter area of the manifest
        return ImageReader.Parse(bytes);
    }

    /// <summary>The key block entry of <paramref name="uid"/> in an encrypted image; empty when it has none.</summary>
    public static byte[] WrappedKey(FirmwareImage image, DeviceUid uid) => image.FindWrappedKey(uid)?.WrappedKey.ToArray() ?? [];

    /// <summary>The whole of a region of the device's flash, as stored.</summary>
    public static byte[] ReadRegion(VirtualDevice device, RegionKind kind)
    {
        MemoryRegion region = device.Profile.MemoryMap.RegionOf(kind);
        return device.Flash.ReadRaw(region.Address, (int)region.Size);
    }

    /// <summary>
    /// The flash rules of docs/device-model.md 1.2 held: no program needed a 0 -> 1 change and no program unit was
    /// written over cells that were not erased (the strict <c>RejectAnyReprogram</c> policy, counted instead of
    /// refused, because a <see cref="VirtualDevice"/> builds its own flash).
    /// </summary>
    public static void AssertNoFlashRuleViolated(VirtualDevice device, string context)
    {
        FlashStatistics stats = device.Flash.Statistics;
        Assert.True(stats.BitSetAttempts == 0, $"{context}: {stats.BitSetAttempts} programs needed a 0 -> 1 bit change");
        Assert.True(stats.ReprogrammedUnits == 0, $"{context}: {stats.ReprogrammedUnits} program units were written over non-erased cells");
    }
}

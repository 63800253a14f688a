using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>Keys, device profiles, images and factory-fresh virtual devices for the end-to-end fault tests.</summary>
internal static class FaultKit
{
    /// <summary>Only a hang guard, never a performance assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public static readonly EcP256PrivateKey SigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);
    public static readonly EcP256PrivateKey IdentityKey = KeyGenerator.Generate(KeyRole.DeviceIdentity);

    public static readonly FirmwareVersion OldVersion = new(1, 0, 0, 0);
    public static readonly FirmwareVersion NewVersion = new(2, 0, 0, 0);

    private static readonly Dictionary<string, TestImage> s_images = [];

    public static DeviceUid Uid(int index) => DeviceUid.FromWords(0x0051_0001u + (uint)index, 0x4733_2211u, 0x3836_7700u + (uint)index);

    /// <summary>An ECDSA-signing profile with instant flash timing (the timing model is the benchmark's business).</summary>
    public static DeviceProfile Profile(FlashFamily family, int index = 0, bool requireEncryption = false, bool requireBinding = false) => new()
    {
        MemoryMap = family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
        Uid = Uid(index),
        TrustedSigningKeys = [SigningKey.PublicKey],
        IdentityKey = IdentityKey,
        RequireEncryption = requireEncryption,
        RequireDeviceBinding = requireBinding,
        DowngradePrevention = true,
        FlashTiming = FlashTimingProfile.Instant,
        MaxFrameSize = 1024,
        ReceiveBuffers = 4,
    };

    public static MemoryRegion RegionOf(DeviceProfile profile, RegionKind kind) => kind switch
    {
        RegionKind.BootloaderA => profile.MemoryMap.BootloaderA,
        RegionKind.BootloaderB => profile.MemoryMap.BootloaderB,
        RegionKind.Application => profile.MemoryMap.Application,
        _ => profile.MemoryMap.PreBootloader,
    };

    /// <summary>
    /// A signed image for <paramref name="region"/> (cached: signing and encrypting cost time), and its plaintext
    /// payload so tests can compare flash with it byte for byte.
    /// </summary>
    public static TestImage Image(DeviceProfile profile, RegionKind region, FirmwareVersion version, int size, uint counter,
        bool encrypt = false, IReadOnlyList<DeviceUid>? recipients = null, Action<ImageSettings>? tweak = null, string? variant = null)
    {
        string key = $"{profile.MemoryMap.Name}/{region}/{version}/{size}/{counter}/{encrypt}/{string.Join(",", recipients ?? [])}/{variant}";
        lock (s_images)
        {
            if (s_images.TryGetValue(key, out TestImage? cached))
                return cached;
        }
        uint address = RegionOf(profile, region).Address;
        var payload = new byte[size];
        new Random(HashCode.Combine(size, (int)version.Ordinal, (int)region, variant)).NextBytes(payload);
        var settings = new ImageSettings
        {
            Kind = region == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = version,
            SecurityCounter = counter,
            LoadAddress = address,
        };
        tweak?.Invoke(settings);
        var builder = new ImageBuilder(settings);
        FirmwareSource source = FirmwareSource.FromBinary(payload, address);
        var signer = new EcdsaP256Signer(SigningKey);
        FirmwareImage image = encrypt
            ? builder.BuildAsync(source, signer, new AesCtrEciesPayloadEncryptor(),
                [.. (recipients ?? [profile.Uid]).Select(uid => new ImageRecipient(uid, IdentityKey.PublicKey.ToUncompressedPoint()))]).GetAwaiter().GetResult()
            : builder.BuildAsync(source, signer).GetAwaiter().GetResult();
        var result = new TestImage(image, payload);
        lock (s_images)
            s_images[key] = result;
        return result;
    }

    /// <summary>
    /// A factory-fresh device, powered off: pre-bootloader, both bootloader copies at 1.0 (counter 1) and the
    /// application 1.0 (counter 1), written as the production programmer does.
    /// </summary>
    public static VirtualDevice FactoryDevice(DeviceProfile profile, bool encryptedApplication = false, string? name = null, CapturedLog? log = null)
    {
        var device = new VirtualDevice(profile, new VirtualDeviceOptions
        {
            HeartbeatInterval = null,
            PublishTelemetry = false,
            Name = name,
            LoggerFactory = log ?? (Microsoft.Extensions.Logging.ILoggerFactory)Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        FactoryProgrammer.Program(profile, device.Flash,
            Image(profile, RegionKind.BootloaderA, OldVersion, 20_000, 1).Image,
            Image(profile, RegionKind.BootloaderB, OldVersion, 20_000, 1).Image,
            Image(profile, RegionKind.Application, OldVersion, 24_000, 1, encrypt: encryptedApplication, recipients: [profile.Uid]).Image);
        device.Flash.ResetStatistics();
        return device;
    }

    public static byte[] WrappedKey(FirmwareImage image, DeviceUid uid) => image.FindWrappedKey(uid)?.WrappedKey.ToArray() ?? [];

    public static byte[] ReadRegion(VirtualDevice device, RegionKind kind)
    {
        MemoryRegion region = RegionOf(device.Profile, kind);
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

/// <summary>An image and the plaintext payload it was built from.</summary>
internal sealed record TestImage(FirmwareImage Image, byte[] Plaintext);

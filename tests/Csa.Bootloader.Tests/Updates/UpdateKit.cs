using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>Keys, device profiles, images and factory-programmed virtual devices for the update workflow tests.</summary>
internal static class UpdateKit
{
    /// <summary>Only a hang guard: generous, never a performance assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    public static readonly EcP256PrivateKey SigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);
    public static readonly EcP256PrivateKey UntrustedSigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);
    public static readonly EcdsaP256Signer Signer = new(SigningKey);

    public static readonly FirmwareVersion V1 = new(1, 0, 0, 1);
    public static readonly FirmwareVersion V2 = new(2, 0, 0, 2);
    public static readonly FirmwareVersion V3 = new(3, 0, 0, 3);

    private static readonly ConcurrentDictionary<int, EcP256PrivateKey> s_identityKeys = new();

    public static EcP256PrivateKey IdentityKey(int index) => s_identityKeys.GetOrAdd(index, _ => KeyGenerator.Generate(KeyRole.DeviceIdentity));

    public static DeviceUid UidOf(int index) => DeviceUid.FromWords(0x0036_0021u + (uint)index, 0x3134_5102u, 0x3332_3130u + (uint)(index * 3));

    /// <summary>A signature product on an STM32F4 (or L4) with instant flash, identity key and downgrade prevention.</summary>
    public static DeviceProfile Profile(int index = 0, FlashFamily family = FlashFamily.Stm32F4, bool requireBinding = false,
        bool requireEncryption = false, ushort maxFrameSize = 1024, byte receiveBuffers = 4) => new()
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
    };

    public static MemoryRegion RegionOf(DeviceProfile profile, RegionKind kind) => kind switch
    {
        RegionKind.BootloaderA => profile.MemoryMap.BootloaderA,
        RegionKind.BootloaderB => profile.MemoryMap.BootloaderB,
        _ => profile.MemoryMap.Application,
    };

    public static byte[] Payload(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>An image for <paramref name="region"/> of <paramref name="profile"/>, signed by the trusted key unless told otherwise.</summary>
    public static FirmwareImage Image(DeviceProfile profile, RegionKind region, FirmwareVersion version, int size = 20_000, uint counter = 1,
        bool bind = false, bool encrypt = false, IImageSigner? signer = null, uint? loadAddress = null, Action<ImageSettings>? tweak = null,
        DeviceUid? recipient = null, EcP256PublicKey? recipientKey = null)
    {
        var settings = new ImageSettings
        {
            Kind = region == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = version,
            SecurityCounter = counter,
        };
        if (bind)
            settings.BoundDevices.Add(profile.Uid);
        tweak?.Invoke(settings);
        FirmwareSource source = FirmwareSource.FromBinary(Payload(size, (int)version.Ordinal ^ size ^ (int)region), loadAddress ?? RegionOf(profile, region).Address);
        var builder = new ImageBuilder(settings);
        signer ??= Signer;
        return encrypt
            ? builder.BuildAsync(source, signer, new AesCtrEciesPayloadEncryptor(),
                [new ImageRecipient(recipient ?? profile.Uid, (recipientKey ?? profile.IdentityKey!.PublicKey).ToUncompressedPoint())]).GetAwaiter().GetResult()
            : builder.BuildAsync(source, signer).GetAwaiter().GetResult();
    }

    public static FirmwareImage App(DeviceProfile profile, FirmwareVersion version, int size = 20_000, uint counter = 1, bool bind = false, bool encrypt = false) =>
        Image(profile, RegionKind.Application, version, size, counter, bind, encrypt);

    /// <summary>A device programmed as in the factory: pre-bootloader, bootloader copy A 1.0 and (optionally) application 1.0, powered off.</summary>
    public static VirtualDevice Device(DeviceProfile profile, bool withApplication = true, uint applicationCounter = 1)
    {
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false, Name = $"dev-{profile.ProductName}" });
        FactoryProgrammer.Program(profile, device.Flash,
            Image(profile, RegionKind.BootloaderA, V1, size: 12_000, bind: profile.RequireDeviceBinding),
            application: withApplication ? Image(profile, RegionKind.Application, V1, counter: applicationCounter, bind: profile.RequireDeviceBinding) : null);
        return device;
    }

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
}

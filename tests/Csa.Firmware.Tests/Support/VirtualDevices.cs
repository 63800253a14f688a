using Csa.Bootloader.Images;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Firmware.Tests.Support;

/// <summary>C# virtual devices, factory-programmed with a signed bootloader and demo application, to chain with C ones.</summary>
internal static class VirtualDevices
{
    private static readonly EcP256PrivateKey SigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);
    private static readonly EcdsaP256Signer Signer = new(SigningKey);

    public static DeviceUid UidOf(int index) => DeviceUid.FromWords(0x0042_0011u + (uint)index, 0x3134_5102u, 0x3332_3130u);

    /// <summary>A powered-off device running its application once powered on; Heartbeat every <paramref name="heartbeat"/>.</summary>
    public static VirtualDevice Create(int index, TimeSpan heartbeat)
    {
        var profile = new DeviceProfile
        {
            MemoryMap = MemoryMap.Stm32F4_1M,
            Uid = UidOf(index),
            ProductName = $"C# device {index}",
            TrustedSigningKeys = [SigningKey.PublicKey],
            FlashTiming = FlashTimingProfile.Instant,
        };
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = heartbeat, PublishTelemetry = false, Name = $"virtual-{index}" });
        FactoryProgrammer.Program(profile, device.Flash,
            Image(profile, ImageKind.Bootloader, profile.MemoryMap.BootloaderA.Address, 12_000),
            application: Image(profile, ImageKind.Application, profile.MemoryMap.Application.Address, 20_000));
        return device;
    }

    private static FirmwareImage Image(DeviceProfile profile, ImageKind kind, uint address, int size)
    {
        var settings = new ImageSettings
        {
            Kind = kind,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = new FirmwareVersion(1, 0, 0, 1),
            SecurityCounter = 1,
        };
        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, address), Signer).GetAwaiter().GetResult();
    }
}

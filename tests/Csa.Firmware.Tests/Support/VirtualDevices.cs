using Csa.Bootloader.Images;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Firmware.Tests.Support;

/// <summary>C# virtual devices, factory-programmed by the shared kit (<see cref="DeviceKit.Fresh"/>: signed bootloader and demo application), to chain with C ones.</summary>
internal static class VirtualDevices
{
    public static DeviceUid UidOf(int index) => DeviceUid.FromWords(0x0042_0011u + (uint)index, 0x3134_5102u, 0x3332_3130u);

    /// <summary>A powered-off device running its application once powered on; Heartbeat every <paramref name="heartbeat"/>.</summary>
    public static VirtualDevice Create(int index, TimeSpan heartbeat)
    {
        var profile = new DeviceProfile
        {
            MemoryMap = MemoryMap.Stm32F4_1M,
            Uid = UidOf(index),
            ProductName = $"C# device {index}",
            TrustedSigningKeys = [DeviceKit.SigningKey.PublicKey],
            FlashTiming = FlashTimingProfile.Instant,
        };
        return DeviceKit.Device(profile, options: new VirtualDeviceOptions { HeartbeatInterval = heartbeat, PublishTelemetry = false, Name = $"virtual-{index}" });
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink.Transports;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;

namespace Csa.Bootloader.Tests.Updates;

public sealed class SerialLinkTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TAMPER")]
    public async Task Lossy_noisy_serial_line_the_update_completes_lost_writes_are_resent_not_restarted()
    {
        DeviceProfile profile = DeviceKit.Profile(90, maxFrameSize: 256);
        var line = new EmulatedChannelOptions { BaudRate = 2_000_000, FrameLossProbability = 0.02, BitErrorRate = 1e-5 };
        UpdateOptions options = Rig.FastOptions();
        options = options with { Retry = options.Retry with { Timeout = TimeSpan.FromMilliseconds(400), Attempts = 5 } };
        await using Rig rig = await Rig.StarOverAsync(1, _ => DeviceKit.Device(profile),
            VirtualLinks.Emulated(new EmulatedLinkOptions { AToB = line, BToA = line, Seed = 7 }), options);
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 16_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        // Corrupted frames never reach the flash: the device verified the payload hash before it committed.
        Assert.Equal(image.Manifest.PayloadSha256.ToArray(),
            System.Security.Cryptography.SHA256.HashData(rig.Virtual[0].Flash.ReadRaw(profile.MemoryMap.Application.Address, image.Payload.Length)));
        Assert.Equal(RegionState.Valid, rig.Virtual[0].Firmware.Inventory[RegionKind.Application].State);
    }
}

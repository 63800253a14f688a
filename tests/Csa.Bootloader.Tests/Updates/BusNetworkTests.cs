using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Several virtual devices as slaves on one emulated I2C bus and one emulated SPI bus, the host as bus master through
/// the real <see cref="BusLinkTransport"/> (docs/transports.md section 7), updated end to end through the SDK.
/// </summary>
public sealed class BusNetworkTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task I2cBusOfThree_ApplicationUpdate_AllDevicesConcurrently()
    {
        DeviceProfile[] profiles = Enumerable.Range(60, 3).Select(i => UpdateKit.Profile(i)).ToArray();
        using var bus = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 1_000_000 });
        await using Rig rig = await Rig.StarOverAsync(3, i => UpdateKit.Device(profiles[i]), VirtualLinks.I2cBus(bus, firstAddress: 0x40));
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select(d =>
            rig.Updater.UpdateApplicationAsync(d, UpdateKit.App(profiles.Single(p => p.Uid == d.Uid), UpdateKit.V2, size: 12_000, counter: 2), null, guard.Token)));

        Assert.All(results, r => Assert.Equal(UpdateKit.V2, r.VersionAfter));
        foreach (VirtualDevice device in rig.Virtual)
            Assert.Equal(UpdateKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(["i2c:sim?address=0x40", "i2c:sim?address=0x41", "i2c:sim?address=0x42"], rig.Devices.Select(d => d.LinkName).Order());
    }
}

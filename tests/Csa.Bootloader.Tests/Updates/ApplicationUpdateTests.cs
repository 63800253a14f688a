using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

public sealed class ApplicationUpdateTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task UpdateFromRunningApplication_EndsWithTheNewVersionRunning()
    {
        DeviceProfile profile = UpdateKit.Profile();
        await using Rig rig = await Rig.StarAsync(1, _ => UpdateKit.Device(profile));
        DeviceInfo before = rig.Devices[0];
        Assert.False(before.IsInBootloader);
        Assert.Equal(UpdateKit.V1, before.ApplicationVersion);
        FirmwareImage image = UpdateKit.App(profile, UpdateKit.V2, size: 50_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(before, image, null, guard.Token);

        Assert.Equal(UpdateKit.V1, result.VersionBefore);
        Assert.Equal(UpdateKit.V2, result.VersionAfter);
        Assert.Equal(UpdateTarget.Application, result.Target);
        Assert.Equal(image.Payload.Length, result.BytesSent);
        Assert.Equal(0, result.BytesResumed);
        Assert.Equal(0, result.ResumeCount);
        VirtualDevice device = rig.Virtual[0];
        Assert.Equal(VirtualDeviceState.Application, device.State);
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(UpdateKit.V2, inventory[RegionKind.Application].Version);
        Assert.Equal(2u, inventory.DeviceSecurityCounter);
        DeviceInfo after = await rig.Network.RefreshAsync(before, guard.Token);
        Assert.Equal(UpdateKit.V2, after.ApplicationVersion);
        Assert.True(after.ApplicationValid);
    }
}

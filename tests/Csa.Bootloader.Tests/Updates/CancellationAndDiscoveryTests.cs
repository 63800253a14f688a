using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.Simulator.Device;
using Csa.Simulator.Hosting;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

public sealed class CancellationTests
{
    private static (ProgressLog Log, CancellationTokenSource Cancel) CancelAt(long bytes)
    {
        var cancel = new CancellationTokenSource();
        var log = new ProgressLog(p =>
        {
            if (p.Stage == UpdateStage.Transferring && p.BytesDone >= bytes)
                cancel.Cancel();
        });
        return (log, cancel);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Cancel_mid_transfer_leaves_the_update_resumable_and_the_next_call_continues()
    {
        DeviceProfile profile = DeviceKit.Profile(70, FlashFamily.Stm32L4);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile));
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 80_000, counter: 2);
        (ProgressLog log, CancellationTokenSource cancel) = CancelAt(40_000);
        using (cancel)
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, log, cancel.Token));

        // Defined state: the bootloader is resident with the update in progress; the old application is gone, never half-valid.
        Assert.Equal(VirtualDeviceState.Bootloader, device.State);
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(UpdatePhase.Receiving, inventory.UpdatePhase);
        Assert.NotEqual(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.ResetAsync());
        Assert.Equal(StayReason.UpdateInProgress, device.Firmware.Inventory.StayReason);

        using CancellationTokenSource guard = Rig.Guard();
        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.True(result.BytesResumed > 0);
        Assert.True(result.BytesSent < image.Payload.Length);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Cancel_with_abort_on_cancel_aborts_the_update_and_the_bootloader_stays_resident()
    {
        DeviceProfile profile = DeviceKit.Profile(71, FlashFamily.Stm32L4);
        UpdateOptions options = Rig.FastOptions();
        options = options with { AbortOnCancel = true };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), options);
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 80_000, counter: 2);
        (ProgressLog log, CancellationTokenSource cancel) = CancelAt(40_000);
        using (cancel)
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, log, cancel.Token));

        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(UpdatePhase.Idle, inventory.UpdatePhase);
        Assert.NotEqual(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.ResetAsync());
        Assert.Equal(StayReason.NoValidApplication, device.Firmware.Inventory.StayReason);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Cancel_before_the_image_is_offered_writes_nothing()
    {
        DeviceProfile profile = DeviceKit.Profile(72);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile));
        VirtualDevice device = rig.Virtual[0];
        using var cancel = new CancellationTokenSource();
        var log = new ProgressLog(p =>
        {
            if (p.Stage == UpdateStage.EnteringBootloader)
                cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], DeviceKit.App(profile, DeviceKit.V2), log, cancel.Token));

        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(UpdatePhase.Idle, inventory.UpdatePhase);
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(DeviceKit.V1, inventory[RegionKind.Application].Version);
    }
}

public sealed class DiscoveryTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Discovery_reads_identity_versions_capabilities_and_bootloader_status()
    {
        DeviceProfile withApp = DeviceKit.Profile(80, receiveBuffers: 5);
        DeviceProfile without = DeviceKit.Profile(81, FlashFamily.Stm32L4);
        await using Rig rig = await Rig.ChainAsync(2, i => DeviceKit.Device(i == 0 ? withApp : without, withApplication: i == 0));

        DeviceInfo app = rig.Devices[0];
        Assert.Equal(new NodeAddress(1), app.Address);
        Assert.Equal(withApp.Uid, app.Uid);
        Assert.Equal(withApp.VendorId, app.VendorId);
        Assert.Equal(withApp.DeviceClassId, app.DeviceClassId);
        Assert.Equal("Pump 80", app.ProductName);
        Assert.Equal(0x413, app.McuDeviceId);
        Assert.False(app.IsInBootloader);
        Assert.True(app.ApplicationValid);
        Assert.Equal(DeviceKit.V1, app.ApplicationVersion);
        Assert.Equal(DeviceKit.V1, app.BootloaderVersion);
        Assert.Equal(5, app.ReceiveBuffers);
        Assert.Null(app.Bootloader);

        DeviceInfo boot = rig.Devices[1];
        Assert.Equal(new NodeAddress(2), boot.Address);
        Assert.Equal(0x415, boot.McuDeviceId);
        Assert.True(boot.IsInBootloader);
        Assert.False(boot.ApplicationValid);
        BootloaderStatus status = Assert.IsType<BootloaderStatus>(boot.Bootloader);
        Assert.Equal(RegionKind.BootloaderA, status.RunningCopy);
        Assert.Equal(RegionKind.BootloaderB, status.OtherCopy);
        Assert.Equal(StayReason.NoValidApplication, status.StayReason);
        Assert.Equal(4, status.Regions.Count);
        Assert.Equal(without.MemoryMap.Application.Address, status.GetRegion(RegionKind.Application).Start);
        Assert.Equal(RegionState.Valid, status.GetRegion(RegionKind.BootloaderA).State);
        Assert.Equal(UpdatePhase.Idle, status.Phase);
        Assert.Equal(16, status.WriteAlignment);
        Assert.True(boot.Features.HasFlag(Csa.Rpc.Device.FeatureFlags.Signatures));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task FindAsync_finds_a_device_by_uid_after_a_power_cycle_lost_its_address()
    {
        await using Rig rig = await Rig.ChainAsync(2, i => DeviceKit.Device(DeviceKit.Profile(82 + i)));
        DeviceInfo second = rig.Devices[1];
        using CancellationTokenSource guard = Rig.Guard();
        await rig.Virtual[1].PowerCycleAsync(guard.Token);
        Assert.Equal(NodeAddress.Unassigned, rig.Virtual[1].Address);

        DeviceInfo found = await rig.Network.FindAsync(second.Uid, guard.Token);

        Assert.Equal(second.Uid, found.Uid);
        Assert.Equal(second.Address, found.Address); // chain order gives the same address back
        await Assert.ThrowsAsync<DeviceNotFoundException>(() => rig.Network.FindAsync(DeviceKit.UidOf(999), guard.Token));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_network_whose_only_port_went_with_the_boards_power_opens_it_again_and_finds_the_device()
    {
        await using VirtualDevice device = DeviceKit.Device(DeviceKit.Profile(84));
        await using UsbSerialDevicePort usb = UsbSerialDevicePort.Attach(device);
        using CancellationTokenSource guard = Rig.Guard();
        await device.PowerOnAsync(guard.Token);
        DeviceNetworkOptions options = Rig.NetworkOptions() with { AddressesPerLink = 1 }; // a point-to-point port
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromFactory(usb.Name, usb.OpenAsync)], options, guard.Token);
        DeviceInfo before = (await network.DiscoverAsync(guard.Token)).Single();

        await device.CutPowerAsync();
        await Assert.ThrowsAnyAsync<Csa.DataLink.DataLinkException>(() => network.DiscoverAsync(guard.Token)); // the port is not there
        await device.PowerOnAsync(guard.Token);
        DeviceInfo found = await network.FindAsync(before.Uid, guard.Token);

        Assert.Equal(before.Uid, found.Uid);
        Assert.False(network.Client.IsClosed); // the network's RPC client outlived its only link
        Assert.True(usb.Opens >= 2, $"{usb.Opens} opens: the network never opened the port again");
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_link_given_an_address_range_holds_no_more_devices_than_it()
    {
        await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(2, i => DeviceKit.Device(DeviceKit.Profile(86 + i)));
        DeviceNetworkOptions options = Rig.NetworkOptions() with { AddressesPerLink = 1 };
        await using DeviceNetwork network = await DeviceNetwork.ConnectTransportsAsync(chain.HostPorts, options);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(guard.Token);

        // The first device takes the link's one address; the one behind it is left unassigned, never given the next range's.
        Assert.Equal(DeviceKit.UidOf(86), Assert.Single(devices).Uid);
        Assert.Equal(NodeAddress.Unassigned, chain.Devices[1].Address);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void Options_are_validated()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpdateOptions { Retry = new() { Timeout = TimeSpan.Zero } }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpdateOptions { MaxWritesInFlight = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpdateOptions { WriteChunkSize = 8 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpdateOptions { MaxResumeAttempts = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => NetworkLink.FromFactory("x", () => throw new InvalidOperationException(), fixedAddresses: [NodeAddress.Broadcast]));
        Assert.Throws<ArgumentException>(() => NetworkLink.FromFactory("x", () => throw new InvalidOperationException(), fixedAddresses: []));
    }
}

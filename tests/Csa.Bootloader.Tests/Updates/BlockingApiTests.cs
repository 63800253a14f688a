using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>The blocking forms, used as a Python script (pythonnet) uses them: no async anywhere in the caller.</summary>
public sealed class BlockingApiTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Script_style_connect_discover_update_install_with_callbacks()
    {
        DeviceProfile[] profiles = [DeviceKit.Profile(100), DeviceKit.Profile(101)];
        await using VirtualDeviceHost host = await VirtualDeviceHost.CreateStarAsync(2, i => DeviceKit.Device(profiles[i]));
        // The script runs on its own thread, as a Python interpreter's does.
        await Task.Run(() =>
        {
            using DeviceNetwork network = DeviceNetwork.Connect(host.HostPorts.Select(p => NetworkLink.FromTransport(p)), Rig.NetworkOptions());
            IReadOnlyList<DeviceInfo> devices = network.Discover();
            Assert.Equal(2, devices.Count);
            var updater = new FirmwareUpdater(network, Rig.FastOptions());
            var stages = new List<UpdateStage>();

            UpdateResult result = updater.UpdateApplication(devices[0], DeviceKit.App(profiles[0], DeviceKit.V2, counter: 2), p =>
            {
                lock (stages)
                    stages.Add(p.Stage);
            });

            Assert.Equal(DeviceKit.V2, result.VersionAfter);
            Assert.Contains(UpdateStage.Transferring, stages);
            Assert.Equal(UpdateStage.Done, stages[^1]);

            IReadOnlyList<InstallResult> rows = updater.Install(network.Discover(),
                device => DeviceKit.App(profiles.Single(p => p.Uid == device.Uid), DeviceKit.V3, counter: 3, bind: true), 2);

            Assert.All(rows, r => Assert.True(r.Succeeded, r.FailureReason));
            Assert.All(rows, r => Assert.Equal(DeviceKit.V3, r.VersionAfter));
            Assert.All(host.Devices, d => Assert.Equal(DeviceKit.V3, d.Firmware.Inventory[RegionKind.Application].Version));
        }).WaitAsync(DeviceKit.HangGuard);
    }
}

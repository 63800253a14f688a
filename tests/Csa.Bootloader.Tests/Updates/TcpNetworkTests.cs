using System.Net;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;

namespace Csa.Bootloader.Tests.Updates;

public sealed class TcpNetworkTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Devices_behind_tcp_servers_are_reached_by_link_uri_and_updated_concurrently()
    {
        DeviceProfile[] profiles = [DeviceKit.Profile(110), DeviceKit.Profile(111)];
        VirtualDevice[] devices = profiles.Select(p => DeviceKit.Device(p)).ToArray();
        var servers = new List<TcpDeviceServer>();
        try
        {
            foreach (VirtualDevice device in devices)
            {
                await device.PowerOnAsync();
                servers.Add(TcpDeviceServer.Start(device, new IPEndPoint(IPAddress.Loopback, 0)));
            }
            // Discovery concludes a link is empty when nothing answers its link-management requests (an assignment and
            // three capabilities questions) in time: with the rig's 150 ms that is 0.6 s, which a loaded CI machine once
            // took to serve a device over loopback TCP (found 1 of 2). The product's default is 500 ms; this test waits 1 s.
            DeviceNetworkOptions patient = Rig.NetworkOptions() with { LinkManagementTimeout = TimeSpan.FromSeconds(1) };
            await using DeviceNetwork network = await DeviceNetwork.ConnectUrisAsync(servers.Select(s => s.Uri), patient);
            IReadOnlyList<DeviceInfo> found = await network.DiscoverAsync();
            Assert.Equal(profiles.Select(p => p.Uid), found.Select(d => d.Uid));
            Assert.Equal(servers.Select(s => $"tcp://{s.LocalEndPoint}"), found.Select(d => d.LinkName));
            var updater = new FirmwareUpdater(network, Rig.FastOptions());
            using CancellationTokenSource guard = Rig.Guard();

            UpdateResult[] results = await Task.WhenAll(found.Select((d, i) =>
                updater.UpdateApplicationAsync(d, DeviceKit.App(profiles[i], DeviceKit.V2, size: 30_000, counter: 2), null, guard.Token)));

            Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
            Assert.All(devices, d => Assert.Equal(DeviceKit.V2, d.Firmware.Inventory[RegionKind.Application].Version));
        }
        finally
        {
            foreach (TcpDeviceServer server in servers)
                await server.DisposeAsync();
            foreach (VirtualDevice device in devices)
                await device.DisposeAsync();
        }
    }
}

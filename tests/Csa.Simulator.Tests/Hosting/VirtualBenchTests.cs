using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Tests.Hosting;

/// <summary>
/// The SDK without the CLI: a <see cref="VirtualBench"/> fixture in three lines, <c>sim:</c> URIs with parameters through
/// <see cref="DeviceNetwork.ConnectAsync(string, DeviceNetworkOptions?, CancellationToken)"/>, the overloads that take a
/// null, and the service operations of <see cref="DeviceMaintenance"/> against the virtual devices.
/// </summary>
public sealed class VirtualBenchTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_fixture_in_three_lines_finds_the_chain_and_its_images_install()
    {
        await using VirtualBench bench = await VirtualBench.StartAsync(new VirtualBenchOptions { Devices = 3 });
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync(bench.Link);
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();

        Assert.Equal(bench.Profiles.Select(p => p.Uid), devices.Select(d => d.Uid));
        Assert.All(devices, d => Assert.Equal(VirtualBench.FactoryVersion, d.ApplicationVersion));
        FirmwareImage image = await bench.BuildApplicationAsync(new FirmwareVersion(2, 0, 0, 0));
        // Null progress on the blocking form: it must compile (it was ambiguous with the callback form) and run.
        UpdateResult result = await Task.Run(() => new FirmwareUpdater(network).UpdateApplication(devices[2], image, null));
        Assert.Equal(new FirmwareVersion(2, 0, 0, 0), result.VersionAfter);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Maintenance_reset_into_the_bootloader_and_back_verify_and_regions_against_the_bench()
    {
        await using VirtualBench bench = await VirtualBench.StartAsync();
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync(bench.Link);
        DeviceInfo device = (await network.DiscoverAsync())[0];
        var maintenance = new DeviceMaintenance(network);

        DeviceInfo inBootloader = await maintenance.ResetAsync(device, ResetMode.Bootloader);
        Assert.True(inBootloader.IsInBootloader);
        Assert.Equal(StayReason.Requested, inBootloader.Bootloader!.StayReason);
        DeviceInfo back = await maintenance.ResetAsync(inBootloader);
        Assert.False(back.IsInBootloader);

        FirmwareImage image = await bench.BuildApplicationAsync(new FirmwareVersion(3, 1, 0, 0));
        InstalledImageCheck before = await maintenance.VerifyAsync(back, image);
        Assert.False(before.Matches);
        await new FirmwareUpdater(network).UpdateApplicationAsync(back, image);
        InstalledImageCheck after = await maintenance.VerifyAsync(back, image);
        Assert.True(after.Matches, after.Problem);
        Assert.Equal(image.Manifest.PayloadSha256.ToArray(), after.StoredPayloadSha256);

        DeviceRegions regions = await maintenance.ReadRegionsAsync(back, includeHashes: true);
        Assert.True(regions.WasRunningApplication && regions.RunsApplication);
        Assert.Equal(new FirmwareVersion(3, 1, 0, 0), regions.Regions.Single(r => r.Region == RegionKind.Application).Version);
        Assert.All(regions.Regions, r => Assert.Equal(32, r.Sha256!.Length));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Sim_uris_with_parameters_reach_the_same_devices_again_another_uri_is_another_bench()
    {
        string uri = $"sim:chain?devices=2&family=l4&first={Random.Shared.Next(100, 60000)}";
        DeviceUid second;
        await using (DeviceNetwork network = await DeviceNetwork.ConnectAsync(uri))
        {
            IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();
            Assert.Equal(2, devices.Count);
            second = devices[1].Uid;
            VirtualBench bench = await VirtualBench.ForUriAsync(uri);
            Assert.Same(Csa.Simulator.Memory.MemoryMap.Stm32L4_1M, bench.Devices[0].Profile.MemoryMap);
            await new FirmwareUpdater(network).UpdateApplicationAsync(devices[1], await bench.BuildApplicationAsync(new FirmwareVersion(4, 0, 0, 0)));
        }
        // The link opened again: the same devices, as the update left them.
        await using (DeviceNetwork again = DeviceNetwork.Connect(uri))
        {
            DeviceInfo device = (await again.DiscoverAsync())[1];
            Assert.Equal((second, new FirmwareVersion(4, 0, 0, 0)), (device.Uid, device.ApplicationVersion));
        }
        Assert.NotSame(await VirtualBench.ForUriAsync(uri), await VirtualBench.ForUriAsync(uri + "&buffers=8"));
    }

    [Theory]
    [InlineData("sim:?devices=0")]
    [InlineData("sim:?devices=2&colour=red")]
    [InlineData("sim:single?devices=2")]
    [InlineData("sim:?family=h7")]
    public async Task Bad_sim_parameters_are_link_uri_errors(string uri)
    {
        await Assert.ThrowsAsync<LinkUriException>(() => DeviceNetwork.ConnectAsync(uri));
    }

    [Fact]
    public async Task Bad_bench_options_are_refused_before_anything_is_made()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => VirtualBench.StartAsync(new VirtualBenchOptions { Devices = 33 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => VirtualBench.StartAsync(new VirtualBenchOptions { ReceiveBuffers = 0 }));
        await using VirtualBench taken = await VirtualBench.StartAsync(new VirtualBenchOptions { Name = $"taken-{Guid.NewGuid():N}" });
        await Assert.ThrowsAsync<ArgumentException>(() => VirtualBench.StartAsync(new VirtualBenchOptions { Name = taken.Name }));
    }
}

using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Hosting;
using Csa.Simulator.Tests.Device;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;

namespace Csa.Simulator.Tests.Hosting;

/// <summary>The <c>sim:</c> link scheme reaches in-process devices through the transport factory.</summary>
public sealed class SimulatorSchemeTests
{
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_published_device_is_reached_by_its_sim_URI_one_host_at_a_time_and_again_after_the_host_leaves()
    {
        await using VirtualDevice device = CreateDevice(21);
        string name = $"pump-{Guid.NewGuid():N}";
        using IDisposable publication = SimulatorScheme.Publish(name, device);
        Assert.Contains(name, SimulatorScheme.PublishedNames);
        await device.PowerOnAsync();

        for (int round = 0; round < 2; round++)
        {
            await using TestHost host = TestHost.Create();
            host.Add(await TransportFactory.ConnectAsync($"sim:{name}").WaitAsync(HangGuard));
            // The port is taken while this host is connected.
            await Assert.ThrowsAsync<TransportConnectException>(() => TransportFactory.ConnectAsync($"sim:{name}"));
            ChainMember member = Assert.Single(await host.EnumerateAsync());
            using var client = new DeviceClient(host.Client, member.Address);
            Assert.Equal(device.Profile.Uid.ToArray(), (await client.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
            await host.DisposeAsync();
            await WaitUntilAsync(() => !device.HasUpstream);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Unknown_names_and_bad_names_are_refused_with_typed_errors()
    {
        await using VirtualDevice device = CreateDevice(22);
        Assert.Throws<ArgumentException>(() => SimulatorScheme.Publish("bad name", device));
        using (SimulatorScheme.Publish($"taken-{Guid.NewGuid():N}", device))
        {
            TransportConnectException missing = await Assert.ThrowsAsync<TransportConnectException>(() => TransportFactory.ConnectAsync("sim:nobody-here"));
            Assert.Contains("sim:nobody-here", missing.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<LinkUriException>(() => TransportFactory.ConnectAsync("sim:x?baud=9600"));
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (!condition())
            await Task.Delay(10, guard.Token);
    }
}

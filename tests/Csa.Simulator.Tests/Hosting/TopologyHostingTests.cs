using System.Net;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Hosting;
using Csa.Simulator.Tests.Device;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;

namespace Csa.Simulator.Tests.Hosting;

/// <summary>Devices hosted in-process in chain and star topologies, over emulated UARTs and in-memory pipes.</summary>
public sealed class TopologyHostingTests
{
    private static VirtualDevice Quiet(int index) => CreateDevice(index);

    private static async Task AssertEveryDeviceAnswersWithItsOwnUidAsync(TestHost host, VirtualDeviceHost devices, IReadOnlyList<ChainMember> members, ImageKind expected)
    {
        Assert.Equal(devices.Devices.Count, members.Count);
        for (int i = 0; i < members.Count; i++)
        {
            using var client = new DeviceClient(host.Client, members[i].Address);
            GetIdentityResponse identity = await client.GetIdentityAsync().WaitAsync(HangGuard);
            Assert.Equal(devices.Devices[i].Profile.Uid.ToArray(), identity.Uid);
            Assert.Equal(expected, (await client.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_of_four_over_emulated_UARTs_is_enumerated_and_every_device_answers_in_the_application_and_in_the_bootloader()
    {
        VirtualLinkFactory uarts = VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 921_600 }, seed: 11));
        await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(4, Quiet, uarts);
        await using TestHost host = TestHost.Create();
        host.Add(chain.HostPorts[0]);

        IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
        Assert.Equal([1, 2, 3, 4], members.Select(m => (int)m.Address.Value));
        Assert.All(members, m => Assert.Equal(256, m.Capabilities.MaxFrameSize));
        await AssertEveryDeviceAnswersWithItsOwnUidAsync(host, chain, members, ImageKind.Application);

        // Every device enters its bootloader; the addresses survive the commanded resets, so no re-enumeration.
        Task[] inBootloader = chain.Devices.Select(d => StateWatch.NextAsync(d, VirtualDeviceState.Bootloader)).ToArray();
        foreach (ChainMember member in members)
        {
            using var client = new DeviceClient(host.Client, member.Address);
            await client.EnterBootloaderAsync(0).WaitAsync(HangGuard);
        }
        await Task.WhenAll(inBootloader);
        await AssertEveryDeviceAnswersWithItsOwnUidAsync(host, chain, members, ImageKind.Bootloader);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_keeps_forwarding_for_the_devices_behind_one_that_resets()
    {
        await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(3, Quiet);
        await using TestHost host = TestHost.Create();
        host.Add(chain.HostPorts[0]);
        IReadOnlyList<ChainMember> members = await host.EnumerateAsync();

        // The middle device restarts; the wires stay, and after the reset it forwards again.
        Assert.Equal(VirtualDeviceState.Bootloader, await chain.Devices[1].ResetAsync(ResetMode.Bootloader));
        using var first = new DeviceClient(host.Client, members[0].Address);
        Assert.Equal(ImageKind.Application, (await first.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);
        using var last = new DeviceClient(host.Client, members[2].Address);
        Assert.Equal(chain.Devices[2].Profile.Uid.ToArray(), (await last.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
        using var middle = new DeviceClient(host.Client, members[1].Address);
        Assert.Equal(ImageKind.Bootloader, (await middle.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);

        // A power cycle of the whole chain loses every address: enumerate again.
        await chain.PowerCycleAllAsync();
        Assert.All(chain.Devices, d => Assert.Equal(NodeAddress.Unassigned, d.Address));
        Assert.Equal(3, (await host.EnumerateAsync()).Count);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_member_that_is_off_cuts_off_the_devices_behind_it_until_it_runs_again()
    {
        await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(3, Quiet);
        await using TestHost host = TestHost.Create();
        host.Add(chain.HostPorts[0]);
        IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
        using var last = new DeviceClient(host.Client, members[2].Address);
        var once = new Csa.Rpc.RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 };

        await chain.Devices[1].PowerOffAsync();
        await Assert.ThrowsAsync<Csa.Rpc.RpcTimeoutException>(() => last.GetIdentityAsync(new GetIdentityRequest(), once).WaitAsync(HangGuard));
        Assert.Single(await host.EnumerateAsync());

        await chain.Devices[1].PowerOnAsync();
        members = await host.EnumerateAsync();
        Assert.Equal(3, members.Count);
        using var again = new DeviceClient(host.Client, members[2].Address);
        Assert.Equal(chain.Devices[2].Profile.Uid.ToArray(), (await again.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_star_of_three_gives_each_device_its_own_host_port()
    {
        await using VirtualDeviceHost star = await VirtualDeviceHost.CreateStarAsync(3, Quiet);
        Assert.Equal(3, star.HostPorts.Count);
        await using TestHost host = TestHost.Create();
        var members = new List<ChainMember>();
        for (int i = 0; i < 3; i++)
        {
            NodeLink link = host.Add(star.HostPorts[i]);
            IReadOnlyList<ChainMember> behind = await host.EnumerateAsync(link, (byte)(0x10 * (i + 1)));
            members.Add(Assert.Single(behind));
        }
        Assert.Equal([0x10, 0x20, 0x30], members.Select(m => (int)m.Address.Value));
        await AssertEveryDeviceAnswersWithItsOwnUidAsync(host, star, members, ImageKind.Application);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_device_served_over_TCP_answers_and_accepts_the_next_host_after_a_disconnect()
    {
        await using VirtualDevice device = Quiet(0);
        await using TcpDeviceServer server = VirtualDeviceHost.ServeTcp(device, new IPEndPoint(IPAddress.Loopback, 0));
        await device.PowerOnAsync();

        for (int round = 1; round <= 2; round++)
        {
            await using TestHost host = TestHost.Create();
            host.Add(await TransportFactory.ConnectAsync(server.Uri).WaitAsync(HangGuard));
            ChainMember member = Assert.Single(await host.EnumerateAsync());
            using var client = new DeviceClient(host.Client, member.Address);
            Assert.Equal(device.Profile.Uid.ToArray(), (await client.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
            Assert.Equal(round, server.ConnectionsAccepted);
            await host.DisposeAsync();
            // Wait until the device has lost its only link (the case where its node closes every socket), so the
            // next round proves the device serves RPC again after a host went away.
            using var guard = new CancellationTokenSource(HangGuard);
            while (device.HasUpstream)
                await Task.Delay(10, guard.Token);
        }
        Assert.Equal(VirtualDeviceState.Application, device.State);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_power_cut_of_a_device_served_over_TCP_leaves_the_connection_up_and_the_device_announces_its_return_on_it()
    {
        await using VirtualDevice device = Quiet(2);
        await using TcpDeviceServer server = VirtualDeviceHost.ServeTcp(device, new IPEndPoint(IPAddress.Loopback, 0));
        await device.PowerOnAsync();
        await using TestHost host = TestHost.Create();
        host.Add(await TransportFactory.ConnectAsync(server.Uri).WaitAsync(HangGuard));
        await AssertAPowerCutIsSilenceNotALostLinkAsync(device, host);
        Assert.Equal(1, server.ConnectionsAccepted);
    }

    [LinuxFact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_power_cut_of_a_device_on_a_pseudo_terminal_leaves_the_port_open_and_the_device_announces_its_return_on_it()
    {
        await using VirtualDevice device = Quiet(3);
        await using PseudoTerminalDevicePort port = VirtualDeviceHost.ServePseudoTerminal(device);
        await device.PowerOnAsync();
        await using TestHost host = TestHost.Create();
        host.Add(SerialTransport.Open(new SerialTransportSettings { PortName = port.SlavePath, BaudRate = 115200 }));
        await AssertAPowerCutIsSilenceNotALostLinkAsync(device, host);
    }

    /// <summary>
    /// docs/cli.md (csa sim, power cuts): the served link belongs to the server, not to the device, so a host does not
    /// see a lost link when the device loses power; it sees silence, then the device's StateChanged on the same link.
    /// </summary>
    private static async Task AssertAPowerCutIsSilenceNotALostLinkAsync(VirtualDevice device, TestHost host)
    {
        ChainMember member = Assert.Single(await host.EnumerateAsync());
        using var anyDevice = new DeviceClient(host.Client, NodeAddress.Broadcast);
        var announced = new TaskCompletionSource<(NodeAddress Source, StateChangedEvent Change)>(TaskCreationOptions.RunContinuationsAsynchronously);
        anyDevice.StateChanged += (source, change) => announced.TrySetResult((source, change));

        await device.CutPowerAsync();
        Assert.Equal(VirtualDeviceState.Off, device.State);
        using var client = new DeviceClient(host.Client, member.Address);
        var once = new Csa.Rpc.RpcCallOptions { Idempotent = true, Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 };
        await Assert.ThrowsAsync<Csa.Rpc.RpcTimeoutException>(() => client.GetIdentityAsync(new GetIdentityRequest(), once).WaitAsync(HangGuard)); // silence
        Assert.Null(host.Node.Links[0].CloseReason);

        await device.PowerOnAsync();
        (NodeAddress source, StateChangedEvent change) = await announced.Task.WaitAsync(HangGuard);
        Assert.Equal(NodeAddress.Unassigned, source); // a power cut loses the address; the announcement comes from 0xFE
        Assert.Equal(DeviceState.Starting, change.Previous);
        Assert.Null(host.Node.Links[0].CloseReason);
        Assert.Equal(device.Profile.Uid.ToArray(), (await new DeviceClient(host.Client, Assert.Single(await host.EnumerateAsync()).Address).GetIdentityAsync().WaitAsync(HangGuard)).Uid);

        string cliMd = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        Assert.Contains("does not see a lost link", cliMd, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return dir.FullName;
        }
        throw new FileNotFoundException("Csa.sln not found above the test directory.");
    }

    [LinuxFact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_device_on_a_pseudo_terminal_is_driven_through_SerialTransport_and_survives_the_port_being_reopened()
    {
        // A chatty device: heartbeats and telemetry go out while no host has the port open, and must not block it.
        await using VirtualDevice device = CreateDevice(1, options: new VirtualDeviceOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(50) });
        await using PseudoTerminalDevicePort port = VirtualDeviceHost.ServePseudoTerminal(device);
        Assert.StartsWith("/dev/pts/", port.SlavePath, StringComparison.Ordinal);
        await device.PowerOnAsync();
        await Task.Delay(300);

        for (int round = 0; round < 2; round++)
        {
            await using TestHost host = TestHost.Create();
            host.Add(SerialTransport.Open(new SerialTransportSettings { PortName = port.SlavePath, BaudRate = 115200 }));
            ChainMember member = Assert.Single(await host.EnumerateAsync());
            using var client = new DeviceClient(host.Client, member.Address);
            Assert.Equal(device.Profile.Uid.ToArray(), (await client.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_star_built_from_profiles_provisions_each_device_and_a_blank_one_stays_bricked()
    {
        var quiet = new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false };
        await using VirtualDeviceHost star = await VirtualDeviceHost.CreateStarAsync(3, i => Profile(40 + i), linkFactory: null,
            optionsFactory: _ => quiet, provision: d =>
            {
                if (d.Profile.ProductName != "Virtual pump 42")
                    Provision(d);
            });
        Assert.Equal([VirtualDeviceState.Application, VirtualDeviceState.Application, VirtualDeviceState.Bricked], star.Devices.Select(d => d.State));
        await using TestHost host = TestHost.Create();
        int[] found = new int[3];
        for (int i = 0; i < 3; i++)
            found[i] = (await host.EnumerateAsync(host.Add(star.HostPorts[i]), (byte)(i + 1))).Count;
        Assert.Equal([1, 1, 0], found);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_wire_attached_to_a_running_device_is_used_at_once_and_detaching_it_leaves_the_device_running()
    {
        await using VirtualDevice device = Quiet(50);
        Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync());
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("late");
        device.AttachUpstream(deviceEnd);
        Assert.Throws<InvalidOperationException>(() => device.AttachUpstream(InMemoryTransport.CreatePair("second").Second));
        await using (TestHost host = TestHost.Create())
        {
            host.Add(hostEnd);
            Assert.Single(await host.EnumerateAsync());
        }
        await device.DetachUpstreamAsync();
        Assert.False(device.HasUpstream);
        Assert.Equal(VirtualDeviceState.Application, device.State);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_device_whose_upstream_wire_was_detached_and_another_attached_answers_enumeration_on_the_new_wire()
    {
        await using VirtualDevice device = Quiet(51);
        Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync());
        for (int round = 1; round <= 3; round++)
        {
            (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"wire{round}");
            device.AttachUpstream(deviceEnd);
            await using (TestHost host = TestHost.Create())
            {
                host.Add(hostEnd);
                ChainMember member = Assert.Single(await host.EnumerateAsync());
                using var client = new DeviceClient(host.Client, member.Address);
                Assert.Equal(device.Profile.Uid.ToArray(), (await client.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
            }
            await device.DetachUpstreamAsync();
            Assert.False(device.HasUpstream);
        }
        Assert.Equal(VirtualDeviceState.Application, device.State);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Topology_builders_refuse_counts_outside_the_device_address_range()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => VirtualDeviceHost.CreateChainAsync(0, Quiet));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => VirtualDeviceHost.CreateStarAsync(240, Quiet));
    }
}

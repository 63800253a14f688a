using System.Collections.Concurrent;
using System.Net;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Firmware.Tests.Support;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Device;
using Csa.Simulator.Flash;

namespace Csa.Firmware.Tests;

/// <summary>
/// The C device (firmware/, the csa-device program) and the host SDK speak the same protocol: discovered and used
/// over a pseudo-terminal and over TCP, chained between C# virtual devices, and executing non-idempotent commands
/// exactly once over lines that lose, duplicate and reorder frames.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-TOPO")]
public sealed class InteropTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60); // never a performance bound
    private const string Uid = "2A0030000B51333234363838";

    private static CancellationToken Guard() => new CancellationTokenSource(HangGuard).Token;

    [Fact]
    public async Task DeviceNetwork_discovers_and_uses_the_C_device_over_a_pseudo_terminal()
    {
        await using CDevice device = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32L4, new FirmwareVersion(2, 3, 4, 5)),
            "--upstream", "pty", "--uid", Uid, "--product-name", "C on a pty", "--max-frame", "512", "--rx-buffers", "3", "--max-packet", "2048"]);
        await using DeviceNetwork network = await DeviceNetwork.ConnectUrisAsync([$"serial:{device.PtyPath}?baud=115200"], cancellationToken: Guard());
        await UseAsync(network, device);
    }

    [Fact]
    public async Task DeviceNetwork_discovers_and_uses_the_C_device_over_tcp()
    {
        await using CDevice device = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32L4, new FirmwareVersion(2, 3, 4, 5)),
            "--upstream", "tcp-listen:127.0.0.1:0", "--uid", Uid, "--product-name", "C on a pty", "--max-frame", "512", "--rx-buffers", "3", "--max-packet", "2048"]);
        await using DeviceNetwork network = await DeviceNetwork.ConnectUrisAsync([$"tcp://127.0.0.1:{device.TcpPort}"], cancellationToken: Guard());
        await UseAsync(network, device);
    }

    private static async Task UseAsync(DeviceNetwork network, CDevice device)
    {
        CancellationToken guard = Guard();
        DeviceInfo info = Assert.Single(await network.DiscoverAsync(guard));
        Assert.Equal(DeviceUid.Parse(Uid), info.Uid);
        Assert.Equal("C on a pty", info.ProductName);
        Assert.Equal(0x415, info.McuDeviceId);
        Assert.Equal(Csa.Rpc.Device.ImageKind.Application, info.RunningImage);
        Assert.Equal(new FirmwareVersion(2, 3, 4, 5), info.ApplicationVersion);
        // What the command line set is what the device advertises, over link management and over GetCapabilities.
        Assert.Equal((512, 3, 2048), (info.MaxFrameSize, info.ReceiveBuffers, info.MaxPacketSize));
        Assert.Equal(FeatureFlags.Forwarding, info.Features);
        NodeCapabilities capabilities = await network.Node.GetCapabilitiesAsync(info.Address, guard);
        Assert.Equal((512, 3), (capabilities.MaxFrameSize, capabilities.ReceiveBuffers));

        using var demo = new DemoAppClient(network.Client, info.Address);
        GetReadingResponse reading = await demo.GetReadingAsync(2, guard);
        Assert.Equal(2, reading.Channel);
        Assert.InRange(reading.Value, 3250, 3350);
        var noSuchChannel = await Assert.ThrowsAsync<RpcErrorException>(() => demo.GetReadingAsync(9, guard));
        Assert.True(DemoAppInterface.TryGetError(noSuchChannel, out DemoAppError error) && error == DemoAppError.NoSuchChannel, noSuchChannel.Message);
        Assert.False((await demo.SetLedAsync(true, guard)).Previous);
        Assert.True((await demo.GetApplicationInfoAsync(guard)).LedOn);
        Assert.Equal((1u, 40u), ((await demo.AddMarkAsync(40, guard)).Marks, (await demo.AddMarkAsync(0, guard)).Sum - 0u));

        // Its events reach the host: the demo application's Telemetry, once a second.
        await foreach (TelemetryEvent telemetry in demo.TelemetryEventsAsync(guard))
        {
            Assert.True(telemetry.Counter >= 1);
            Assert.True(telemetry.LedOn);
            break;
        }

        // A message too large for the device's packets is refused by the device, not by a crash.
        var ping = await network.Node.PingAsync(info.Address, guard);
        Assert.True(ping >= TimeSpan.Zero);
        Assert.Contains("upstream", device.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mixed_chain_of_CSharp_C_CSharp_devices_is_enumerated_in_order_and_every_device_answers()
    {
        CancellationToken guard = Guard();
        await using VirtualDevice first = VirtualDevices.Create(1, TimeSpan.FromMilliseconds(200));
        await using VirtualDevice last = VirtualDevices.Create(3, TimeSpan.FromMilliseconds(200));
        await using TcpLinkListener towardsLast = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using CDevice middle = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32F4), "--upstream", "tcp-listen:127.0.0.1:0",
            "--downstream", $"tcp:127.0.0.1:{towardsLast.LocalEndPoint.Port}", "--uid", Uid, "--heartbeat-ms", "200", "--no-telemetry"]);

        // Wires: host -> first (in memory); first's downstream -> the C device (TCP); the C device -> last (TCP).
        (InMemoryTransport hostEnd, InMemoryTransport firstEnd) = InMemoryTransport.CreatePair("host-first");
        first.AttachUpstream(firstEnd);
        first.AttachDownstream(await TcpTransport.ConnectAsync("127.0.0.1", middle.TcpPort, cancellationToken: guard));
        last.AttachUpstream(await towardsLast.AcceptAsync(guard));
        await first.PowerOnAsync();
        await last.PowerOnAsync();

        await using DeviceNetwork network = await DeviceNetwork.ConnectTransportsAsync([hostEnd], cancellationToken: guard);
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(guard);
        Assert.Equal([VirtualDevices.UidOf(1), DeviceUid.Parse(Uid), VirtualDevices.UidOf(3)], devices.Select(d => d.Uid));
        Assert.Equal([0, 1, 2], devices.Select(d => d.ChainPosition));

        var heartbeats = new ConcurrentDictionary<NodeAddress, int>();
        var clients = new List<DeviceClient>();
        try
        {
            foreach (DeviceInfo device in devices)
            {
                var client = network.CreateDeviceClient(device);
                client.Heartbeat += (node, _) => heartbeats.AddOrUpdate(node, 1, (_, n) => n + 1);
                clients.Add(client);
            }

            for (int i = 0; i < devices.Count; i++)
            {
                GetIdentityResponse identity = await clients[i].GetIdentityAsync(guard);
                Assert.Equal(devices[i].Uid.ToArray(), identity.Uid);
                using var demo = new DemoAppClient(network.Client, devices[i].Address);
                Assert.Equal(1u, (await demo.AddMarkAsync(7, guard)).Marks);
                Assert.Equal(0, (await demo.GetReadingAsync(0, guard)).Channel);
            }

            // Every device's Heartbeat reaches the host, through the devices before it.
            while (devices.Any(d => heartbeats.GetValueOrDefault(d.Address) == 0))
                await Task.Delay(50, guard);
        }
        finally
        {
            foreach (DeviceClient client in clients)
                client.Dispose();
        }
    }

    /// <summary>
    /// 200 AddMark calls (not idempotent), pipelined, to the far C device of host -> C -> C where both hops lose 5 %,
    /// duplicate 5 % and reorder 5 % of the frames: every call is answered, and the device executed each exactly once.
    /// </summary>
    [Fact]
    public async Task Non_idempotent_calls_over_lossy_hops_execute_exactly_once_on_the_C_device()
    {
        CancellationToken guard = Guard();
        var lossy = new EmulatedChannelOptions
        {
            BaudRate = 0,
            FrameLossProbability = 0.05,
            FrameDuplicationProbability = 0.05,
            FrameReorderProbability = 0.05,
        };
        await using TcpLinkListener towardsFar = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        await using CDevice far = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32F4), "--upstream", "tcp-listen:127.0.0.1:0", "--address", "2",
            "--uid", "0000000000000000000000F2", "--heartbeat-ms", "0", "--no-telemetry"]);
        await using CDevice near = await CDevice.StartAsync([.. CDeviceFactory.Arguments(FlashFamily.Stm32F4), "--upstream", "tcp-listen:127.0.0.1:0", "--address", "1",
            "--downstream", $"tcp:127.0.0.1:{towardsFar.LocalEndPoint.Port}", "--uid", "0000000000000000000000F1",
            "--heartbeat-ms", "0", "--no-telemetry"]);

        // Hop 1: host <-lossy-> near. Hop 2: near <-TCP-> test <-lossy-> far.
        await using EmulatedLink hop1 = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(lossy, seed: 1401));
        await using EmulatedLink hop2 = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(lossy, seed: 1402));
        await using TcpTransport toNear = await TcpTransport.ConnectAsync("127.0.0.1", near.TcpPort, cancellationToken: guard);
        await using TcpTransport fromNear = await towardsFar.AcceptAsync(guard);
        await using TcpTransport toFar = await TcpTransport.ConnectAsync("127.0.0.1", far.TcpPort, cancellationToken: guard);
        await using var bridge1 = new Bridge(hop1.B, toNear);
        await using var bridge2 = new Bridge(fromNear, hop2.A);
        await using var bridge3 = new Bridge(hop2.B, toFar);

        await using var node = new DataLinkNode();
        node.AddLink(hop1.A, LinkRole.Downstream);
        await using var rpc = new RpcClient(node.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions
        {
            DefaultTimeout = TimeSpan.FromMilliseconds(300),
            MaxAttempts = 12,
        });
        using var demo = new DemoAppClient(rpc, new NodeAddress(2));

        Task<AddMarkResponse>[] calls = Enumerable.Range(1, 200).Select(i => demo.AddMarkAsync((uint)i, guard)).ToArray();
        AddMarkResponse[] answers = await Task.WhenAll(calls);

        // Each execution numbered its mark: 200 calls, marks 1..200 each once, and the sum of every value once.
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (uint)i), answers.Select(a => a.Marks).Order());
        AddMarkResponse final = await demo.AddMarkAsync(0, guard);
        Assert.Equal(201u, final.Marks);
        Assert.Equal((uint)(200 * 201 / 2), final.Sum);
        // The lines did impair the traffic.
        Assert.True(hop1.AToBCounters.FramesDropped + hop1.BToACounters.FramesDropped > 0);
        Assert.True(hop2.AToBCounters.FramesDuplicated + hop2.BToACounters.FramesDuplicated > 0);
    }
}

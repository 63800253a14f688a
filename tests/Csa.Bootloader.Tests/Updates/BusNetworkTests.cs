using System.Device.Spi;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Several virtual devices as slaves on one emulated I2C bus or one emulated SPI bus, the host as bus master through the
/// real <see cref="BusLinkTransport"/> (docs/transports.md section 7), updated end to end through the SDK: a bus of N
/// devices is N links of a star.
/// </summary>
public sealed class BusNetworkTests
{
    /// <summary>One emulated bus with its virtual devices wired as slaves, and the host network over their links.</summary>
    private sealed class BusRig : IAsyncDisposable
    {
        private readonly IDisposable _bus;

        private BusRig(IDisposable bus, Rig rig)
        {
            _bus = bus;
            Rig = rig;
        }

        public Rig Rig { get; }

        public EmulatedI2cBus? I2c => _bus as EmulatedI2cBus;

        public EmulatedSpiBus? Spi => _bus as EmulatedSpiBus;

        public BusLinkTransport LinkOf(int index) => (BusLinkTransport)Rig.Host.HostPorts[index];

        /// <summary>Where device <paramref name="index"/> sits on the bus: its I2C address or chip select.</summary>
        public int SlotOf(int index) => I2c is not null ? FirstAddress + index : index;

        public BusSlave SlaveOf(int index) => I2c?.SlaveAt(SlotOf(index)) ?? Spi!.SlaveAt(index)!;

        public void InjectFault(int index, EmulatedBusFault fault)
        {
            if (I2c is { } i2c)
                i2c.InjectFault(SlotOf(index), fault);
            else
                Spi!.InjectFault(index, fault);
        }

        public const int FirstAddress = 0x40;

        public static async Task<BusRig> CreateAsync(string kind, DeviceProfile[] profiles, bool readyLines = false, UpdateOptions? options = null,
            Func<DeviceProfile, VirtualDevice>? device = null)
        {
            IDisposable bus;
            VirtualLinkFactory links;
            if (kind == "i2c")
            {
                var i2c = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 1_000_000 });
                (bus, links) = (i2c, VirtualLinks.I2cBus(i2c, FirstAddress, readyLines: readyLines));
            }
            else
            {
                var spi = new EmulatedSpiBus();
                (bus, links) = (spi, VirtualLinks.SpiBus(spi, clockRate: 4_000_000, mode: SpiMode.Mode0, readyLines: readyLines));
            }
            try
            {
                Rig rig = await Rig.StarOverAsync(profiles.Length, i => (device ?? (p => DeviceKit.Device(p)))(profiles[i]), links, options);
                return new BusRig(bus, rig);
            }
            catch
            {
                bus.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Rig.DisposeAsync();
            _bus.Dispose();
        }
    }

    private static DeviceProfile[] Profiles(int first, int count) => Enumerable.Range(first, count).Select(i => DeviceKit.Profile(i)).ToArray();

    [Theory]
    [InlineData("i2c", false)]
    [InlineData("spi", false)]
    [InlineData("i2c", true)]
    [InlineData("spi", true)]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Application_update_of_three_devices_on_one_bus_all_at_once(string kind, bool readyLines)
    {
        DeviceProfile[] profiles = Profiles(60, 3);
        await using BusRig bus = await BusRig.CreateAsync(kind, profiles, readyLines);
        Rig rig = bus.Rig;
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select(d =>
            rig.Updater.UpdateApplicationAsync(d, DeviceKit.App(profiles.Single(p => p.Uid == d.Uid), DeviceKit.V2, size: 12_000, counter: 2), null, guard.Token)));

        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        for (int i = 0; i < profiles.Length; i++)
        {
            VirtualDevice device = rig.Virtual[i];
            Assert.Equal(VirtualDeviceState.Application, device.State);
            Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
            // Every image byte crossed the bus inside frames, and every answer came back through polls.
            BusLinkTransport link = bus.LinkOf(i);
            Assert.True(link.Counters.BytesWritten > 12_000, $"{link.Counters.BytesWritten} bytes written");
            Assert.True(link.Counters.BytesRead > 0);
            Assert.Equal(link.Counters.BytesWritten, bus.SlaveOf(i).Counters.BytesReceived);
            Assert.Equal(0, link.Counters.Overflows);
        }
        string[] expected = kind == "i2c"
            ? ["i2c:sim?address=0x40", "i2c:sim?address=0x41", "i2c:sim?address=0x42"]
            : ["spi:sim.0?mode=0&speed=4000000", "spi:sim.1?mode=0&speed=4000000", "spi:sim.2?mode=0&speed=4000000"];
        Assert.Equal(expected, rig.Devices.Select(d => d.LinkName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("i2c")]
    [InlineData("spi")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Bootloader_update_of_two_devices_on_one_bus_through_the_second_copy(string kind)
    {
        DeviceProfile[] profiles = Profiles(70, 2);
        await using BusRig bus = await BusRig.CreateAsync(kind, profiles);
        Rig rig = bus.Rig;
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select(d =>
        {
            DeviceProfile profile = profiles.Single(p => p.Uid == d.Uid);
            return rig.Updater.UpdateBootloaderAsync(d, DeviceKit.Image(profile, RegionKind.BootloaderB, DeviceKit.V2, size: 14_000, counter: 1), false, null, guard.Token);
        }));

        Assert.All(results, r => Assert.Equal(RegionKind.BootloaderB, r.RunningBootloader));
        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        foreach (VirtualDevice device in rig.Virtual)
        {
            Assert.Equal(RegionKind.BootloaderB, device.Firmware.Inventory.RunningBootloader);
            Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.BootloaderB].Version);
            Assert.Equal(VirtualDeviceState.Application, device.State);
        }
        // The update restarted each device into its bootloader and into the new copy: every restart raised the reset flag.
        for (int i = 0; i < profiles.Length; i++)
            Assert.True(bus.LinkOf(i).Counters.DeviceResets >= 2, $"{bus.LinkOf(i).Counters.DeviceResets} restarts seen");
    }

    [Theory]
    [InlineData("i2c", false)]
    [InlineData("spi", true)]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RPC")]
    public async Task Events_from_idle_devices_arrive_through_polling(string kind, bool readyLines)
    {
        DeviceProfile[] profiles = Profiles(80, 2);
        await using BusRig bus = await BusRig.CreateAsync(kind, profiles, readyLines, device: p =>
            DeviceKit.Device(p, options: new VirtualDeviceOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100), PublishTelemetry = false, Name = $"dev-{p.ProductName}" }));
        Rig rig = bus.Rig;
        using CancellationTokenSource guard = Rig.Guard();

        // The host sends nothing: each device's heartbeats reach it only because the master fetches them.
        foreach (DeviceInfo info in rig.Devices)
        {
            using DeviceClient client = rig.Network.CreateDeviceClient(info);
            int seen = 0;
            await foreach (HeartbeatEvent beat in client.HeartbeatEventsAsync(guard.Token))
            {
                Assert.Equal(DeviceState.Running, beat.State);
                if (++seen == 3)
                    break;
            }
        }
        for (int i = 0; i < profiles.Length; i++)
        {
            BusLinkCounters counters = bus.LinkOf(i).Counters;
            Assert.True(counters.BytesRead > 0);
            Assert.True(counters.Polls > 0);
        }
    }

    [Theory]
    [InlineData("i2c")]
    [InlineData("spi")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Power_cut_mid_transfer_the_device_falls_silent_on_the_bus_and_the_update_resumes_as_on_a_serial_link(string kind)
    {
        DeviceProfile[] profiles = Profiles(90, 2);
        UpdateOptions options = Rig.FastOptions();
        options = options with { Retry = options.Retry with { Attempts = 2 } };
        await using BusRig bus = await BusRig.CreateAsync(kind, profiles, options: options);
        Rig rig = bus.Rig;
        VirtualDevice victim = rig.Virtual[0];
        using var supply = new PowerSupply(victim);
        int fired = 0;
        var log = new ProgressLog(p =>
        {
            if (p.Device == victim.Profile.Uid && p.Stage == UpdateStage.Transferring && p.BytesDone >= 30_000 && Interlocked.Exchange(ref fired, 1) == 0)
                _ = victim.CutPowerAsync();
        });
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select(d =>
            rig.Updater.UpdateApplicationAsync(d, DeviceKit.App(profiles.Single(p => p.Uid == d.Uid), DeviceKit.V2, size: 60_000, counter: 2), log, guard.Token)));

        UpdateResult victimResult = results[rig.Devices.ToList().FindIndex(d => d.Uid == victim.Profile.Uid)];
        Assert.True(victimResult.ResumeCount >= 1, $"{victimResult.ResumeCount} resumes");
        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        Assert.Equal(DeviceKit.V2, victim.Firmware.Inventory[RegionKind.Application].Version);
        Assert.True(supply.Restorations >= 1);
        BusLinkCounters counters = bus.LinkOf(0).Counters;
        // While it was off it did not answer (no acknowledge / an idle MISO); when it came back its header said so.
        Assert.True(counters.Failures + counters.InvalidHeaders > 0);
        Assert.True(counters.DeviceResets >= 2);
        Assert.True(bus.SlaveOf(0).Counters.Naks > 0);
    }

    [Theory]
    [InlineData("i2c")]
    [InlineData("spi")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Garbled_torn_and_unacknowledged_transactions_during_an_update_are_repaired_by_the_frames_crc_and_resends(string kind)
    {
        DeviceProfile[] profiles = Profiles(100, 2);
        await using BusRig bus = await BusRig.CreateAsync(kind, profiles);
        Rig rig = bus.Rig;
        using CancellationTokenSource guard = Rig.Guard();
        using var stopFaults = new CancellationTokenSource();
        int injected = 0;
        // Noise on the bus: about every 100 ms one transaction to each device is garbled (either way), torn, or not
        // acknowledged: some frames of every kind are damaged (write requests, answers, link management), not most of them.
        Task noise = Task.Run(async () =>
        {
            var random = new Random(23);
            EmulatedBusFaultKind[] kinds = [EmulatedBusFaultKind.CorruptToMaster, EmulatedBusFaultKind.CorruptToSlave, EmulatedBusFaultKind.Tear, EmulatedBusFaultKind.Nak];
            while (!stopFaults.IsCancellationRequested)
            {
                for (int i = 0; i < profiles.Length; i++)
                {
                    if (bus.I2c?.PendingFaults(bus.SlotOf(i)) is > 2 || bus.Spi?.PendingFaults(i) is > 2)
                        continue;
                    bus.InjectFault(i, new EmulatedBusFault(kinds[random.Next(kinds.Length)], random.Next(0, 300), (byte)(1 << random.Next(8))));
                    Interlocked.Increment(ref injected);
                }
                try
                {
                    await Task.Delay(100, stopFaults.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        UpdateResult[] results;
        try
        {
            results = await Task.WhenAll(rig.Devices.Select(d =>
                rig.Updater.UpdateApplicationAsync(d, DeviceKit.App(profiles.Single(p => p.Uid == d.Uid), DeviceKit.V2, size: 30_000, counter: 2), null, guard.Token)));
        }
        finally
        {
            await stopFaults.CancelAsync();
            await noise;
        }

        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        foreach (VirtualDevice device in rig.Virtual)
            Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.True(injected >= 4, $"{injected} faults injected");
        // The damage reached the data link on both sides and was rejected there, never delivered.
        long hostDrops = rig.Network.Node.Counters.CrcErrors + rig.Network.Node.Counters.GetDropped(FrameDropReason.Malformed);
        Assert.True(hostDrops > 0, "garbled frames reached the host's data link and were dropped");
        Assert.True(bus.LinkOf(0).Counters.Failures + bus.LinkOf(1).Counters.Failures + bus.LinkOf(0).Counters.InvalidHeaders + bus.LinkOf(1).Counters.InvalidHeaders > 0);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task An_address_nobody_answers_stays_silent_and_offline_while_the_devices_beside_it_are_found()
    {
        DeviceProfile[] profiles = Profiles(110, 2);
        using var bus = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 400_000 });
        await using VirtualDeviceHost host = await VirtualDeviceHost.CreateStarAsync(2, i => DeviceKit.Device(profiles[i]), VirtualLinks.I2cBus(bus, 0x30));
        var fast = new BusLinkOptions { OfflineAfter = TimeSpan.FromMilliseconds(200) };
        var empty = BusLinkTransport.ForI2c(bus.CreateDevice(0x55), fast with { Name = "i2c:sim?address=0x55" });
        var links = host.HostPorts.Select(p => NetworkLink.FromTransport(p)).Append(NetworkLink.FromTransport(empty)).ToArray();
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync(links, Rig.NetworkOptions());
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(guard.Token);

        Assert.Equal(profiles.Select(p => p.Uid.ToString()).Order(), devices.Select(d => d.Uid.ToString()).Order());
        Assert.DoesNotContain(devices, d => d.LinkName == "i2c:sim?address=0x55");
        Assert.False(empty.IsDeviceAnswering);
        Assert.True(empty.Counters.Failures > 0, "the address was never acknowledged");
        Assert.Equal(0, empty.Counters.BytesWritten);
        // Discovery's requests were written while nothing answered: after OfflineAfter they were discarded, never queued up.
        Assert.True(empty.Counters.OfflineTransitions >= 1);
        Assert.True(empty.Counters.BytesDiscardedOffline > 0);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Link_uris_reach_devices_on_published_emulated_buses_through_device_network_connect_uris()
    {
        DeviceProfile[] profiles = Profiles(120, 4);
        using var i2c = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 1_000_000 });
        using var spi = new EmulatedSpiBus();
        using IDisposable i2cName = i2c.Publish("bus-tests-i2c");
        using IDisposable spiName = spi.Publish("bus-tests-spi");
        var devices = new List<VirtualDevice>();
        try
        {
            for (int i = 0; i < profiles.Length; i++)
            {
                VirtualDevice device = DeviceKit.Device(profiles[i]);
                devices.Add(device);
                BusSlave slave = i < 2 ? i2c.AttachSlave(0x20 + i) : spi.AttachSlave(i - 2, readyPin: i - 2);
                device.AttachUpstream(VirtualLinks.SlaveCable(slave));
                await device.PowerOnAsync();
            }
            string[] uris =
            [
                "i2c:bus-tests-i2c?address=0x20",
                "i2c:bus-tests-i2c?address=33&poll=2ms&idlePoll=20ms",
                "spi:bus-tests-spi.0?mode=0&speed=8000000&maxTransfer=1024",
                "spi:bus-tests-spi.1?mode=0&speed=2000000&ready=1",
            ];
            await using DeviceNetwork network = await DeviceNetwork.ConnectUrisAsync(uris, Rig.NetworkOptions());
            using CancellationTokenSource guard = Rig.Guard();

            IReadOnlyList<DeviceInfo> found = await network.DiscoverAsync(guard.Token);

            Assert.Equal(uris, found.Select(d => d.LinkName));
            Assert.Equal(profiles.Select(p => p.Uid), found.Select(d => d.Uid));
            var updater = new FirmwareUpdater(network, Rig.FastOptions());
            UpdateResult[] results = await Task.WhenAll(found.Select(d =>
                updater.UpdateApplicationAsync(d, DeviceKit.App(profiles.Single(p => p.Uid == d.Uid), DeviceKit.V2, size: 8_000, counter: 2), null, guard.Token)));
            Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        }
        finally
        {
            foreach (VirtualDevice device in devices)
                await device.DisposeAsync();
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_bus_that_does_not_exist_is_a_typed_error_from_connect_uris()
    {
        var e = await Assert.ThrowsAsync<BusOpenException>(() => DeviceNetwork.ConnectUrisAsync(["i2c:/dev/i2c-97?address=0x42"], Rig.NetworkOptions()));
        Assert.Equal(BusOpenError.NotFound, e.Error);
        Assert.Equal("/dev/i2c-97", e.Bus);
        Assert.Contains("/dev/i2c-97 does not exist", e.Message, StringComparison.Ordinal);
        var spi = await Assert.ThrowsAsync<BusOpenException>(() => DeviceNetwork.ConnectUrisAsync(["spi:no-such-bus.0"], Rig.NetworkOptions()));
        Assert.Equal(BusOpenError.NotFound, spi.Error);
        Assert.Contains("no emulated SPI bus is published as 'no-such-bus'", spi.Message, StringComparison.Ordinal);
    }
}

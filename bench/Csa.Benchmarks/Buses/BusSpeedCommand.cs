using System.Device.Spi;
using System.Diagnostics;
using System.Globalization;
using Csa.Benchmarks.LinkThroughput;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;
using Csa.Rpc;
using Csa.Simulator;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

namespace Csa.Benchmarks.Buses;

/// <summary>
/// I2C and SPI links (docs/transports.md section 7), in real time on the emulated buses, which charge the wire's time
/// (I2C: (12 + 9 n) clocks per transaction; SPI: 8 n clocks plus 2 us of chip select): how much of the bus's raw
/// capacity (clock / 8 bytes per second) a pipelined RPC block stream and a whole application update use, where the
/// rest goes (address/ACK bits, headers, filler, empty polls), and what polling an idle device costs.
/// </summary>
internal static class BusSpeedCommand
{
    public const string Name = "bus-speed";

    private static DeviceFactory Factory => Updates.UpdateSpeedCommand.Factory;

    private sealed record Bus(string Label, bool Spi, int Clock)
    {
        public double RawBytesPerSecond => Clock / 8.0;

        /// <summary>The bus time of one header-only poll.</summary>
        public TimeSpan EmptyPoll => Spi ? EmulatedSpiBus.TransactionTime(6, Clock, TimeSpan.FromMicroseconds(2)) : EmulatedI2cBus.TransactionTime(6, Clock);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick");
        int streamSize = quick ? 16 * 1024 : 64 * 1024;
        int updateSize = quick ? 16 * 1024 : 64 * 1024;
        Bus[] buses =
        [
            new("I2C 100 kHz", false, 100_000),
            new("I2C 400 kHz", false, 400_000),
            new("I2C 1 MHz", false, 1_000_000),
            new("SPI 1 MHz", true, 1_000_000),
            new("SPI 8 MHz", true, 8_000_000),
        ];
        Console.WriteLine($"I2C and SPI links on the emulated buses, the host as bus master (BusLinkTransport defaults: 256-byte transfers, 1 ms busy / 50 ms idle polling, header-only polls), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"raw capacity = clock / 8 bytes/s (I2C can reach at most 8/9 of it: every byte carries an ACK bit); stream = {streamSize / 1024} KiB of pipelined 992-byte RPC block writes (4 in flight, 1024-byte frames, no programming time); update = FirmwareUpdater, {updateSize / 1024} KiB application, virtual STM32F4, TYPICAL flash timing, 4 receive buffers");
        Console.WriteLine();
        Console.WriteLine("| bus | raw capacity | stream time | stream payload rate | stream efficiency | bus busy | bus time: stream / headers / addressing (I2C start, address, stop; SPI chip select) / filler; of it in empty polls | idle device: polls/s, bus share | idle with ready line | update: whole | update: transfer phase | transfer efficiency |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
        foreach (Bus bus in buses)
        {
            Stream stream = await MeasureStreamAsync(bus, streamSize, readyLine: false);
            Stream ready = await MeasureStreamAsync(bus, quick ? 4096 : 8192, readyLine: true);
            Update update = await MeasureUpdateAsync(bus, updateSize);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {bus.Label} | {bus.RawBytesPerSecond / 1024:F1} KiB/s | {stream.Elapsed.TotalSeconds:F2} s | {streamSize / stream.Elapsed.TotalSeconds / 1024:F1} KiB/s | {streamSize / (stream.Elapsed.TotalSeconds * bus.RawBytesPerSecond):P1} | {stream.BusBusy.TotalSeconds / stream.Elapsed.TotalSeconds:P1} | {stream.Split} | {stream.IdlePollsPerSecond:F1}/s, {stream.IdleBusShare:P2} | {ready.IdleBusShare:P2} | {update.Whole.TotalSeconds:F2} s | {update.Transfer.TotalSeconds:F2} s ({updateSize / update.Transfer.TotalSeconds / 1024:F1} KiB/s) | {updateSize / (update.Transfer.TotalSeconds * bus.RawBytesPerSecond):P1} |"));
        }
        return 0;
    }

    private sealed record Stream(TimeSpan Elapsed, TimeSpan BusBusy, string Split, double IdlePollsPerSecond, double IdleBusShare);

    private sealed record Update(TimeSpan Whole, TimeSpan Transfer);

    /// <summary>The bus, one slave and the master's link to it.</summary>
    private static (IDisposable Medium, Func<TimeSpan> BusyTime, BusSlave Slave, BusLinkTransport Link) OpenBus(Bus bus, bool readyLine)
    {
        if (bus.Spi)
        {
            var spi = new EmulatedSpiBus();
            BusSlave slave = spi.AttachSlave(0, readyPin: readyLine ? 0 : null);
            BusLinkOptions options = readyLine ? new BusLinkOptions { Ready = new ReadyLine(spi.CreateReadyLineController(), 0) { OwnsController = true } } : BusLinkOptions.Default;
            return (spi, () => spi.BusyTime, slave, BusLinkTransport.ForSpi(spi.CreateDevice(new SpiConnectionSettings(0, 0) { ClockFrequency = bus.Clock, Mode = SpiMode.Mode0 }), options));
        }
        var i2c = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = bus.Clock });
        BusSlave s = i2c.AttachSlave(0x42, readyPin: readyLine ? 0 : null);
        BusLinkOptions o = readyLine ? new BusLinkOptions { Ready = new ReadyLine(i2c.CreateReadyLineController(), 0) { OwnsController = true } } : BusLinkOptions.Default;
        return (i2c, () => i2c.BusyTime, s, BusLinkTransport.ForI2c(i2c.CreateDevice(0x42), o));
    }

    private static async Task<Stream> MeasureStreamAsync(Bus bus, int size, bool readyLine)
    {
        (IDisposable medium, Func<TimeSpan> busyTime, BusSlave slave, BusLinkTransport link) = OpenBus(bus, readyLine);
        using IDisposable _ = medium;
        const byte receiveBuffers = 4;
        await using var host = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = NodeAddress.Host, LinkManagementTimeout = TimeSpan.FromSeconds(5) });
        await using var device = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = new NodeAddress(0x01), MaxFrameSize = 1024, ReceiveBuffers = receiveBuffers });
        slave.PowerOn();
        host.AddLink(link, LinkRole.Downstream);
        device.AddLink(slave.Transport, LinkRole.Upstream);
        var flash = new byte[size];
        await using var server = new RpcServer(device.OpenSocket(WellKnownPorts.Rpc), new RpcServerOptions { OwnsSocket = true, MaxConcurrentRequests = receiveBuffers, MaxRequestPayloadSize = BlockWrite.MaxData + 16 });
        server.Register(new BlockWriteService(flash, TimeSpan.Zero));
        server.Start();
        await using var client = new RpcClient(host.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions { OwnsSocket = true, MaxRequestsInFlight = receiveBuffers, DefaultTimeout = TimeSpan.FromSeconds(10) });
        var target = new NodeAddress(0x01);
        await client.GetWindowSizeAsync(target, CancellationToken.None);
        byte[] image = new byte[size];
        new Random(size).NextBytes(image);

        BusLinkCounters c = link.Counters;
        (long empty0, long data0, long header0, long filler0) = (c.EmptyPolls, c.DataBytesClocked, c.HeaderBytes, c.FillerBytes);
        TimeSpan busy0 = busyTime();
        var stopwatch = Stopwatch.StartNew();
        const int block = 992;
        var writes = new List<Task<BlockWritten>>();
        for (int offset = 0; offset < size; offset += block)
        {
            var write = new BlockWrite((uint)offset, image.AsSpan(offset, Math.Min(block, size - offset)).ToArray());
            writes.Add(client.InvokeAsync<BlockWrite, BlockWritten>(target, BlockWriteService.Id, BlockWriteService.WriteCommand, write, new RpcCallOptions { Idempotent = true }, CancellationToken.None));
        }
        await Task.WhenAll(writes);
        stopwatch.Stop();
        TimeSpan busy = busyTime() - busy0;
        if (!flash.AsSpan().SequenceEqual(image))
            throw new InvalidOperationException("The device's copy differs from the image: the measurement is void.");

        // Where the bus time went: stream bytes, headers, filler, and the rest: I2C start/address/stop bits, SPI chip
        // select. Empty polls (headers and addressing that moved nothing) are shown on their own as well.
        double perByte = bus.Spi ? 8.0 / bus.Clock : 9.0 / bus.Clock;
        double total = busy.TotalSeconds;
        double fillerTime = (c.FillerBytes - filler0) * perByte;
        double streamTime = (c.DataBytesClocked - data0) * perByte - fillerTime;
        double headerTime = (c.HeaderBytes - header0) * perByte;
        double framingTime = Math.Max(0, total - streamTime - fillerTime - headerTime);
        double emptyTime = (c.EmptyPolls - empty0) * bus.EmptyPoll.TotalSeconds;
        string split = string.Create(CultureInfo.InvariantCulture, $"{streamTime / total:P1} / {headerTime / total:P1} / {framingTime / total:P1} / {fillerTime / total:P1}; empty polls {emptyTime / total:P1}");

        // An idle device: let the interval back off, then count polls and bus time over two seconds.
        await Task.Delay(TimeSpan.FromSeconds(1));
        long pollsBefore = c.Polls;
        TimeSpan idleBusy0 = busyTime();
        var idle = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(2));
        double idleSeconds = idle.Elapsed.TotalSeconds;
        return new Stream(stopwatch.Elapsed, busy, split, (c.Polls - pollsBefore) / idleSeconds, (busyTime() - idleBusy0).TotalSeconds / idleSeconds);
    }

    private static DeviceProfile Profile() => new()
    {
        MemoryMap = MemoryMap.Stm32F4_1M,
        Uid = DeviceUid.FromWords(0x0072_0001u, 0x1122_3344u, 0x5566_7788u),
        TrustedSigningKeys = [Factory.PublicKey],
        FlashTiming = FlashTimingProfile.Typical,
        MaxFrameSize = 1024,
        ReceiveBuffers = 4,
    };

    private static async Task<Update> MeasureUpdateAsync(Bus bus, int size)
    {
        DeviceProfile profile = Profile();
        IDisposable medium;
        VirtualLinkFactory links;
        if (bus.Spi)
        {
            var spi = new EmulatedSpiBus();
            (medium, links) = (spi, VirtualLinks.SpiBus(spi, bus.Clock));
        }
        else
        {
            var i2c = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = bus.Clock });
            (medium, links) = (i2c, VirtualLinks.I2cBus(i2c));
        }
        using IDisposable _ = medium;
        await using VirtualDeviceHost host = await VirtualDeviceHost.CreateStarAsync(1, (_, ct) =>
            Factory.CreateDeviceAsync(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false, Name = "bus-bench" }, cancellationToken: ct), links);
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(host.HostPorts[0])], new DeviceNetworkOptions
        {
            Retry = new() { Timeout = TimeSpan.FromSeconds(5) },
            LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
        });
        DeviceInfo info = (await network.DiscoverAsync()).Single();
        var updater = new FirmwareUpdater(network, new UpdateOptions { Retry = new() { Timeout = TimeSpan.FromSeconds(5) }, RestartPollInterval = TimeSpan.FromMilliseconds(20) });
        FirmwareImage image = Updates.UpdateSpeedCommand.Build(profile, RegionKind.Application, new FirmwareVersion(2, 0, 0, 0), size);
        var stopwatch = new Stopwatch();
        TimeSpan? transferStart = null, transferEnd = null;
        var progress = new CallbackProgress<UpdateProgress>(p =>
        {
            if (p.Stage is UpdateStage.Erasing or UpdateStage.Transferring && transferStart is null)
                transferStart = stopwatch.Elapsed;
            else if (p.Stage == UpdateStage.Verifying && transferEnd is null)
                transferEnd = stopwatch.Elapsed;
        });
        stopwatch.Start();
        UpdateResult result = await updater.UpdateApplicationAsync(info, image, progress);
        stopwatch.Stop();
        if (result.VersionAfter != image.Manifest.Version)
            throw new InvalidOperationException($"The update reported {result.VersionAfter}: the measurement is void.");
        VirtualDevice target = host.Devices[0];
        if (!target.Flash.ReadRaw(profile.MemoryMap.Application.Address, size).AsSpan().SequenceEqual(image.Payload.Span))
            throw new InvalidOperationException("The device's application region differs from the payload: the measurement is void.");
        return new Update(stopwatch.Elapsed, (transferEnd ?? stopwatch.Elapsed) - (transferStart ?? TimeSpan.Zero));
    }
}

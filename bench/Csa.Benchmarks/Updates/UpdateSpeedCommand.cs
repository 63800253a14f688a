using System.Diagnostics;
using System.Globalization;
using System.Net;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Cli.Simulation;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

namespace Csa.Benchmarks.Updates;

/// <summary>
/// Whole application updates, in real time, with the host's <see cref="FirmwareUpdater"/> against virtual STM32F4
/// devices whose flash charges the datasheet's TYPICAL erase and program times through the system clock: over an
/// emulated 115200 baud and 1 Mbaud 8N1 line, over the 115200 line with 10 ms one-way latency (20 ms round trip),
/// over real TCP on loopback, and to the last node of a 4-node daisy chain. Pipelined (the device's receive
/// buffers) and stop-and-wait (one write in flight) side by side, in one run, one table. The same 115200 baud rows again
/// against the C device (firmware/: the csa-device process, built as csa sim builds it, on a flash with the same
/// typical timing, behind the same emulated line), so the two implementations' efficiencies are measured in one run.
/// </summary>
internal static class UpdateSpeedCommand
{
    public const string Name = "update-speed";

    private static readonly EcP256PrivateKey SigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);

    private sealed record Scenario(string Link, int? Baud, TimeSpan Latency, bool Tcp, int ChainLength, int? Window, bool C = false)
    {
        public string Device => C ? "C" : "C#";
    }

    private sealed record Measurement(Scenario Scenario, UpdateResult Result, TimeSpan Whole, TimeSpan Transfer, TimeSpan EraseInTransfer, TimeSpan FlashBusy, long Erases, IReadOnlyDictionary<UpdateStage, TimeSpan> Stages);

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick");
        // --c-compare: only the 115200 baud rows, for the C# and the C device (what the C device's figure is compared on).
        bool compareOnly = args.Contains("--c-compare");
        int buffersAt = Array.IndexOf(args, "--buffers");
        if (buffersAt >= 0 && buffersAt + 1 < args.Length)
            s_receiveBuffers = byte.Parse(args[buffersAt + 1], System.Globalization.CultureInfo.InvariantCulture);
        s_eraseAhead = !args.Contains("--no-erase-ahead");
        int payloadSize = quick ? 64 * 1024 : 256 * 1024;
        var scenarios = new List<Scenario>();
        foreach (int? window in new int?[] { null, 1 })
        {
            scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, window));
            if (compareOnly)
                continue;
            scenarios.Add(new("1 Mbaud", 1_000_000, TimeSpan.FromMilliseconds(1), false, 1, window));
            scenarios.Add(new("115200 baud, 20 ms round trip", 115_200, TimeSpan.FromMilliseconds(10), false, 1, window));
            scenarios.Add(new("TCP loopback", null, TimeSpan.Zero, true, 1, window));
        }
        if (!compareOnly)
            scenarios.Add(new("115200 baud, last of a 4-node chain", 115_200, TimeSpan.FromMilliseconds(1), false, 4, null));
        foreach (int? window in new int?[] { null, 1 })
            scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, window, C: true));
        s_cProgram = await CDeviceProgram.LocateAsync(null, Console.WriteLine, CancellationToken.None);

        Console.WriteLine($"Application update of {payloadSize / 1024} KiB (ECDSA-signed, plaintext) to a virtual STM32F4 (1 MB map, TYPICAL flash timing: 128 KB sector erase 1 s, word program 16 us), FirmwareUpdater end to end, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"device: {s_receiveBuffers} receive buffers of {PacketSize} bytes, 1024-byte frames, erase-ahead {(s_eraseAhead ? "on" : "off")}; the updater's default writes (one per frame: 992 bytes); efficiency = payload / (time x baud / 10)");
        Console.WriteLine();
        Console.WriteLine($"C device: {s_cProgram}");
        Console.WriteLine();
        Console.WriteLine("| device | link | writes in flight | whole update | transfer phase | erase charged in transfer | transfer efficiency | whole-update efficiency |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        var results = new List<Measurement>();
        foreach (Scenario scenario in scenarios)
        {
            Measurement m = await MeasureAsync(scenario, payloadSize);
            results.Add(m);
            Console.WriteLine(Row(m, payloadSize));
        }
        Console.WriteLine();
        Console.WriteLine("Where the time goes (seconds per updater stage; flash busy = erase + program time the flash model charged):");
        Console.WriteLine();
        UpdateStage[] columns = [UpdateStage.Connecting, UpdateStage.EnteringBootloader, UpdateStage.Checking, UpdateStage.Erasing, UpdateStage.Transferring, UpdateStage.Verifying, UpdateStage.Restarting, UpdateStage.Confirming];
        Console.WriteLine($"| device | link | writes in flight | {string.Join(" | ", columns)} | flash busy (erases) |");
        Console.WriteLine($"|---|---|---:|{string.Concat(columns.Select(_ => "---:|"))}---:|");
        foreach (Measurement m in results)
            Console.WriteLine($"| {m.Scenario.Device} | {m.Scenario.Link} | {(m.Scenario.Window == 1 ? "1" : s_receiveBuffers.ToString(CultureInfo.InvariantCulture))} | {string.Join(" | ", columns.Select(c => m.Stages.TryGetValue(c, out TimeSpan t) ? t.TotalSeconds.ToString("F2") : "-"))} | {m.FlashBusy.TotalSeconds:F2} s ({m.Erases}) |");
        Console.WriteLine();
        Measurement direct = results.First(r => !r.Scenario.C && r.Scenario.Baud == 115_200 && r.Scenario.Latency == TimeSpan.FromMilliseconds(1) && r.Scenario.ChainLength == 1 && r.Scenario.Window is null);
        if (results.FirstOrDefault(r => r.Scenario.ChainLength == 4) is { } chain)
            Console.WriteLine($"last node of the 4-node chain / direct link (whole update): {chain.Whole.TotalSeconds / direct.Whole.TotalSeconds:F3}; transfer phase: {chain.Transfer.TotalSeconds / direct.Transfer.TotalSeconds:F3}");
        foreach (bool c in new[] { false, true })
        {
            foreach (string link in results.Where(r => r.Scenario.C == c).Select(r => r.Scenario.Link).Distinct().Where(l => results.Count(r => r.Scenario.C == c && r.Scenario.Link == l) == 2))
            {
                Measurement p = results.First(r => r.Scenario.C == c && r.Scenario.Link == link && r.Scenario.Window is null);
                Measurement s = results.First(r => r.Scenario.C == c && r.Scenario.Link == link && r.Scenario.Window == 1);
                Console.WriteLine($"{(c ? "C" : "C#")} device, {link}: stop-and-wait / pipelined whole-update time {s.Whole.TotalSeconds / p.Whole.TotalSeconds:F2}x, transfer {s.Transfer.TotalSeconds / p.Transfer.TotalSeconds:F2}x");
            }
        }
        // The comparison the C device is held to: its efficiency on the same line against the C# device's, same window.
        foreach (int? window in new int?[] { null, 1 })
        {
            Measurement cs = results.First(r => !r.Scenario.C && r.Scenario.Link == "115200 baud" && r.Scenario.Window == window);
            Measurement c = results.First(r => r.Scenario.C && r.Scenario.Link == "115200 baud" && r.Scenario.Window == window);
            Console.WriteLine($"115200 baud, {(window == 1 ? "stop-and-wait" : "pipelined")}: C / C# transfer efficiency {cs.Transfer.TotalSeconds / c.Transfer.TotalSeconds:F3}, whole-update efficiency {cs.Whole.TotalSeconds / c.Whole.TotalSeconds:F3}");
        }
        return 0;
    }

    private static string Row(Measurement m, int payload)
    {
        string window = m.Scenario.Window == 1 ? "1 (stop-and-wait)" : $"{s_receiveBuffers} (pipelined)";
        if (m.Scenario.Baud is not int baud)
            return $"| {m.Scenario.Device} | {m.Scenario.Link} | {window} | {m.Whole.TotalSeconds:F2} s | {m.Transfer.TotalSeconds:F2} s ({payload / m.Transfer.TotalSeconds / 1024:F0} KiB/s) | {m.EraseInTransfer.TotalSeconds:F2} s | n/a | n/a |";
        double capacity = baud / 10.0;
        double transferEff = payload / (m.Transfer.TotalSeconds * capacity);
        double wholeEff = payload / (m.Whole.TotalSeconds * capacity);
        return $"| {m.Scenario.Device} | {m.Scenario.Link} | {window} | {m.Whole.TotalSeconds:F2} s | {m.Transfer.TotalSeconds:F2} s | {m.EraseInTransfer.TotalSeconds:F2} s | {transferEff:P1} | {wholeEff:P1} |";
    }

    private static DeviceProfile Profile(int index) => new()
    {
        MemoryMap = MemoryMap.Stm32F4_1M,
        Uid = DeviceUid.FromWords(0x0062_0001u + (uint)index, 0x1122_3344u, 0x5566_7788u),
        TrustedSigningKeys = [SigningKey.PublicKey],
        FlashTiming = FlashTimingProfile.Typical,
        MaxFrameSize = 1024,
        ReceiveBuffers = s_receiveBuffers,
        MaxPacketSize = PacketSize,
        EraseAhead = s_eraseAhead,
    };

    /// <summary>One write of a frame's worth (1024 bytes) plus the Write overhead: each receive buffer holds one packet this large.</summary>
    private const ushort PacketSize = 1024 + BootloaderService.WriteOverhead;

    // The device's receive buffers (--buffers N, default 12: 13 KB of SRAM, see docs/device-model.md 6.4) and erase-ahead.
    private static byte s_receiveBuffers = 12;
    private static bool s_eraseAhead = true;
    private static string s_cProgram = string.Empty;

    private static FirmwareImage Build(DeviceProfile profile, RegionKind region, FirmwareVersion version, int size)
    {
        uint address = region == RegionKind.Application ? profile.MemoryMap.Application.Address : profile.MemoryMap.BootloaderA.Address;
        var payload = new byte[size];
        new Random(size + version.Major).NextBytes(payload);
        var settings = new ImageSettings
        {
            Kind = region == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = version,
            SecurityCounter = version.Major,
            LoadAddress = address,
        };
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, address), new EcdsaP256Signer(SigningKey)).GetAwaiter().GetResult();
    }

    private static VirtualDevice Device(int index)
    {
        DeviceProfile profile = Profile(index);
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false, Name = $"bench{index}" });
        // Production programming is not what is measured: install with the flash clock off (synchronous calls only
        // add to BusyTime), then start counting.
        FactoryProgrammer.Program(profile, device.Flash, Build(profile, RegionKind.BootloaderA, new FirmwareVersion(1, 0, 0, 0), 20_000),
            application: Build(profile, RegionKind.Application, new FirmwareVersion(1, 0, 0, 0), 20_000));
        device.Flash.ResetStatistics();
        return device;
    }

    private static async Task<Measurement> MeasureAsync(Scenario scenario, int payloadSize)
    {
        if (scenario.C)
            return await MeasureCAsync(scenario, payloadSize);
        await using var pending = new AsyncDisposables();
        NetworkLink networkLink;
        VirtualDevice target;
        if (scenario.Tcp)
        {
            target = Device(0);
            pending.Add(target);
            await target.PowerOnAsync();
            TcpDeviceServer server = TcpDeviceServer.Start(target, new IPEndPoint(IPAddress.Loopback, 0));
            pending.Add(server);
            networkLink = NetworkLink.FromUri(server.Uri);
        }
        else
        {
            var channel = new EmulatedChannelOptions { BaudRate = scenario.Baud!.Value, Latency = scenario.Latency };
            VirtualDeviceHost host = await VirtualDeviceHost.CreateChainAsync(scenario.ChainLength, Device, VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(channel)));
            pending.Add(host);
            target = host.Devices[^1];
            networkLink = NetworkLink.FromTransport(host.HostPorts[0]);
        }
        DeviceNetwork network = await DeviceNetwork.ConnectAsync([networkLink], new DeviceNetworkOptions
        {
            CommandTimeout = TimeSpan.FromSeconds(3),
            LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
        });
        pending.Add(network);
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();
        DeviceInfo info = devices.Single(d => d.Uid == target.Profile.Uid);
        var updater = new FirmwareUpdater(network, new UpdateOptions
        {
            MaxWritesInFlight = scenario.Window,
            CommandTimeout = TimeSpan.FromSeconds(3),
            RestartPollInterval = TimeSpan.FromMilliseconds(20),
        });
        FirmwareImage image = Build(target.Profile, RegionKind.Application, new FirmwareVersion(2, 0, 0, 0), payloadSize);

        TimeSpan eraseAtStart = TimeSpan.Zero, eraseAtEnd = TimeSpan.Zero;
        Timed timed = await TimeUpdateAsync(updater, info, image,
            onTransferStart: () => eraseAtStart = EraseTime(target.Flash), onTransferEnd: () => eraseAtEnd = EraseTime(target.Flash));
        byte[] stored = target.Flash.ReadRaw(target.Profile.MemoryMap.Application.Address, payloadSize);
        if (!stored.AsSpan().SequenceEqual(image.Payload.Span))
            throw new InvalidOperationException("The device's application region differs from the payload: the measurement is void.");
        FlashStatistics stats = target.Flash.Statistics;
        return new Measurement(scenario, timed.Result, timed.Whole, timed.Transfer, eraseAtEnd - eraseAtStart, stats.BusyTime, stats.SectorErases, timed.Stages);
    }

    /// <summary>What <see cref="TimeUpdateAsync"/> measured.</summary>
    private sealed record Timed(UpdateResult Result, TimeSpan Whole, TimeSpan Transfer, IReadOnlyDictionary<UpdateStage, TimeSpan> Stages);

    /// <summary>
    /// Runs one application update and times it: the whole call, the transfer phase and each stage. Stage times are taken
    /// synchronously as the updater reports them. The transfer phase runs from BeginUpdate (stage Erasing: the device
    /// erases the trailer sector, then the first payload sector is erased ahead) to FinishUpdate (stage Verifying).
    /// </summary>
    private static async Task<Timed> TimeUpdateAsync(FirmwareUpdater updater, DeviceInfo info, FirmwareImage image, Action onTransferStart, Action onTransferEnd)
    {
        var stopwatch = new Stopwatch();
        var stageStarts = new Dictionary<UpdateStage, TimeSpan>();
        TimeSpan? transferStart = null, transferEnd = null;
        var progress = new CallbackProgress<UpdateProgress>(p =>
        {
            lock (stageStarts)
                stageStarts.TryAdd(p.Stage, stopwatch.Elapsed);
            if (p.Stage is UpdateStage.Erasing or UpdateStage.Transferring && transferStart is null)
            {
                transferStart = stopwatch.Elapsed;
                onTransferStart();
            }
            else if (p.Stage == UpdateStage.Verifying && transferEnd is null)
            {
                transferEnd = stopwatch.Elapsed;
                onTransferEnd();
            }
        });
        stopwatch.Start();
        UpdateResult result = await updater.UpdateApplicationAsync(info, image, progress);
        stopwatch.Stop();
        if (result.VersionAfter != image.Manifest.Version)
            throw new InvalidOperationException($"The update reported {result.VersionAfter}: the measurement is void.");
        TimeSpan transfer = (transferEnd ?? stopwatch.Elapsed) - (transferStart ?? TimeSpan.Zero);
        var stages = new Dictionary<UpdateStage, TimeSpan>();
        UpdateStage[] seen = [.. stageStarts.OrderBy(kv => kv.Value).Select(kv => kv.Key)];
        for (int i = 0; i < seen.Length; i++)
            stages[seen[i]] = (i + 1 < seen.Length ? stageStarts[seen[i + 1]] : stopwatch.Elapsed) - stageStarts[seen[i]];
        if (seen.Length > 0)
            stages[UpdateStage.Connecting] = stages.GetValueOrDefault(UpdateStage.Connecting) + stageStarts[seen[0]];
        return new Timed(result, stopwatch.Elapsed, transfer, stages);
    }

    /// <summary>
    /// The same update against the C device: a csa-device process with the same product (unique id, trusted key, 1024-byte
    /// frames, the same receive buffers and packet size, erase-ahead, typical flash timing, factory bootloader and
    /// application of 20 000 bytes), its TCP upstream bridged to the device end of the same emulated line. The device
    /// checks the payload's hash while writing and the updater compares the region hash it reads back, so a wrong
    /// payload fails the run; the erase time is the device's own flash accounting over the whole update (all its erases
    /// fall in the transfer phase: BeginUpdate's and the ones ahead of the writes).
    /// </summary>
    private static async Task<Measurement> MeasureCAsync(Scenario scenario, int payloadSize)
    {
        var pending = new AsyncDisposables();
        DeviceProfile profile = Profile(1);
        string directory = Directory.CreateTempSubdirectory("csa-bench-c-").FullName;
        try
        {
            string bootloader = Path.Combine(directory, "bootloader.csai"), application = Path.Combine(directory, "application.csai");
            await File.WriteAllBytesAsync(bootloader, Build(profile, RegionKind.BootloaderA, new FirmwareVersion(1, 0, 0, 0), 20_000).ToArray());
            await File.WriteAllBytesAsync(application, Build(profile, RegionKind.Application, new FirmwareVersion(1, 0, 0, 0), 20_000).ToArray());
            var arguments = new List<string>
            {
                "--upstream", "tcp-listen:127.0.0.1:0",
                "--family", "f4",
                "--uid", profile.Uid.ToString(),
                "--trust", Convert.ToHexString(SigningKey.PublicKey.ToUncompressedPoint().AsSpan(1)),
                "--factory-bootloader", bootloader,
                "--factory-application", application,
                "--flash-timing", "typical",
                "--max-frame", profile.MaxFrameSize.ToString(CultureInfo.InvariantCulture),
                "--rx-buffers", profile.ReceiveBuffers.ToString(CultureInfo.InvariantCulture),
                "--max-packet", profile.MaxPacketSize.ToString(CultureInfo.InvariantCulture),
                "--heartbeat-ms", "0",
                "--no-telemetry",
            };
            if (!profile.EraseAhead)
                arguments.Add("--no-erase-ahead");
            CDeviceProcess device = await CDeviceProcess.StartAsync(s_cProgram, arguments, "bench-c", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None);
            pending.Add(device);
            var line = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = scenario.Baud!.Value, Latency = scenario.Latency }));
            pending.Add(line);
            TcpTransport wire = await TcpTransport.ConnectAsync("127.0.0.1", device.UpstreamTcpPort);
            pending.Add(new TransportBridge(line.B, wire));
            DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(line.A)], new DeviceNetworkOptions
            {
                CommandTimeout = TimeSpan.FromSeconds(3),
                LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
            });
            pending.Add(network);
            DeviceInfo info = (await network.DiscoverAsync()).Single(d => d.Uid == profile.Uid);
            var updater = new FirmwareUpdater(network, new UpdateOptions
            {
                MaxWritesInFlight = scenario.Window,
                CommandTimeout = TimeSpan.FromSeconds(3),
                RestartPollInterval = TimeSpan.FromMilliseconds(20),
            });
            FirmwareImage image = Build(profile, RegionKind.Application, new FirmwareVersion(2, 0, 0, 0), payloadSize);
            CFlashReport before = await device.FlashReportAsync(CancellationToken.None);
            Timed timed = await TimeUpdateAsync(updater, info, image, () => { }, () => { });
            CFlashReport after = await device.FlashReportAsync(CancellationToken.None);
            // F4 typical: 16 us per 32-bit word programmed; the rest of the busy time is erasing.
            TimeSpan programs = TimeSpan.FromMicroseconds((after.ProgrammedBytes - before.ProgrammedBytes) / 4 * 16);
            TimeSpan busy = after.Busy - before.Busy;
            return new Measurement(scenario, timed.Result, timed.Whole, timed.Transfer, busy - programs, busy, after.Erases - before.Erases, timed.Stages);
        }
        finally
        {
            await pending.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Erase time so far: the flash's busy time minus what its program units took.</summary>
    private static TimeSpan EraseTime(SimulatedFlash flash)
    {
        FlashStatistics stats = flash.Statistics;
        return stats.BusyTime - flash.Timing.Program((int)stats.ProgramUnits, flash.Options.TimingProfile);
    }

    /// <summary>Disposes what a measurement opened, most recent first.</summary>
    private sealed class AsyncDisposables : IAsyncDisposable
    {
        private readonly List<IAsyncDisposable> _items = [];

        public void Add(IAsyncDisposable item) => _items.Add(item);

        public async ValueTask DisposeAsync()
        {
            for (int i = _items.Count - 1; i >= 0; i--)
                await _items[i].DisposeAsync();
        }
    }
}

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
using Csa.Simulator;
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
/// over real TCP on loopback, and to the last node of a 4-node daisy chain; 64 KiB and 256 KiB images, a device with the
/// SRAM of a 32 KB part and one with the buffers a 192 KB part affords. Pipelined (the device's receive buffers) and
/// stop-and-wait (one write in flight) side by side, in one run, one table. The same 115200 baud rows again against the
/// C device (firmware/: the csa-device process, built as csa sim builds it, on a flash with the same typical timing,
/// behind the same emulated line), so the two implementations' efficiencies are measured in one run.
/// </summary>
internal static class UpdateSpeedCommand
{
    public const string Name = "update-speed";

    /// <summary>The devices' factory (bootloader and application 1.0.0, 20 000 bytes each) and the signer of every image measured.</summary>
    internal static readonly DeviceFactory Factory = new(new DeviceFactoryOptions { Firmware = new FactoryFirmware { BootloaderSize = 20_000, ApplicationSize = 20_000 } });

    private static EcP256PrivateKey SigningKey => Factory.SigningKey;

    /// <summary>What the virtual device advertises: its receive buffers and frames (each buffer holds one write of a frame).</summary>
    internal sealed record DeviceSettings(string Name, byte Buffers, ushort Frame)
    {
        /// <summary>One write of a frame's worth plus the Write overhead: each receive buffer holds one packet this large.</summary>
        public ushort PacketSize => (ushort)(Frame + BootloaderService.WritePacketReserve);

        public string Describe => $"{Buffers} x {PacketSize} B buffers ({Buffers * PacketSize / 1024.0:0.#} KiB), {Frame}-byte frames";
    }

    /// <summary>12 one-frame buffers of 1088 bytes: 13 KB of SRAM, the budget of a 32 KB part (docs/device-model.md 6.4.1).</summary>
    internal static DeviceSettings SmallRam { get; } = new("32 KB SRAM", 12, 1024);

    /// <summary>The same 13 KB of receive buffers as <see cref="SmallRam"/> in larger frames: 6 buffers of 2112 bytes, 2048-byte frames.</summary>
    internal static DeviceSettings SmallRam2K { get; } = new("32 KB SRAM, 6 x 2 KiB", 6, 2048);

    /// <summary>The same 13 KB of receive buffers as <see cref="SmallRam"/> in 4 KiB frames: 3 buffers of 4160 bytes, 4096-byte frames.</summary>
    internal static DeviceSettings SmallRam4K { get; } = new("32 KB SRAM, 3 x 4 KiB", 3, 4096);

    /// <summary>16 one-frame buffers of 1088 bytes (17 KB of SRAM: a 64 KB part), the RPC layer's 16 requests in flight.</summary>
    internal static DeviceSettings MidRam { get; } = new("64 KB SRAM", 16, 1024);

    /// <summary>16 buffers of 4160 bytes (66 KB of SRAM: an F405/F407 has 192 KB), 4096-byte frames: the RPC layer's 16 requests in flight.</summary>
    internal static DeviceSettings LargeRam { get; } = new("192 KB SRAM", 16, 4096);

    /// <summary>
    /// One row: the link (baud, one-way latency, or TCP; the last node of a chain of <c>ChainLength</c>), the writes in
    /// flight (null: the device's buffers), the image size and the device; <c>C</c> for the C device, <c>L4</c> for an
    /// STM32L4 (1 MB, two banks of 2 KB pages) instead of the F4, <c>Cpu</c> to charge the chip's CPU time for the
    /// cryptography too (DeviceProfile.CpuTiming, the F4's or the L4's estimate).
    /// </summary>
    private sealed record Scenario(string Link, int? Baud, TimeSpan Latency, bool Tcp, int ChainLength, int? Window, int PayloadSize, DeviceSettings Device, bool C = false,
        bool L4 = false, bool Cpu = false, ForwardingMode Forwarding = ForwardingMode.CutThrough)
    {
        public string Implementation => C ? "C" : Cpu ? "C#, chip CPU time" : "C#";

        public string DeviceName => L4 ? $"{Device.Name}, STM32L4" : Device.Name;
    }

    private sealed record Measurement(Scenario Scenario, UpdateResult Result, TimeSpan Whole, TimeSpan Transfer, TimeSpan EraseInTransfer, TimeSpan FlashBusy, long Erases, IReadOnlyDictionary<UpdateStage, TimeSpan> Stages);

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick");
        // --c-compare: only the 115200 baud rows, for the C# and the C device (what the C device's figure is compared on).
        bool compareOnly = args.Contains("--c-compare");
        int buffersAt = Array.IndexOf(args, "--buffers");
        DeviceSettings small = SmallRam;
        if (buffersAt >= 0 && buffersAt + 1 < args.Length)
            small = small with { Buffers = byte.Parse(args[buffersAt + 1], System.Globalization.CultureInfo.InvariantCulture) };
        s_eraseAhead = !args.Contains("--no-erase-ahead");
        int[] sizes = quick ? [64 * 1024] : [64 * 1024, 256 * 1024];
        var scenarios = new List<Scenario>();
        if (!compareOnly)
        {
            foreach (int size in sizes)
            {
                // The 32 KB SRAM device's 13 KB of receive buffers also as 6 of 2 KiB frames and 3 of 4 KiB frames (--no-frames: without).
                DeviceSettings[] devices = args.Contains("--no-frames") ? [small, LargeRam] : [small, SmallRam2K, SmallRam4K, LargeRam];
                foreach (DeviceSettings device in devices)
                {
                    scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, null, size, device));
                    scenarios.Add(new("115200 baud, 20 ms round trip", 115_200, TimeSpan.FromMilliseconds(10), false, 1, null, size, device));
                    scenarios.Add(new("1 Mbaud", 1_000_000, TimeSpan.FromMilliseconds(1), false, 1, null, size, device));
                }
            }
        }
        if (!compareOnly)
        {
            foreach (int size in sizes)
            {
                // The L4 erases 2 KB pages in 22 ms: where the F4's 1 s sector erases outlast the small device's buffers.
                scenarios.Add(new("1 Mbaud", 1_000_000, TimeSpan.FromMilliseconds(1), false, 1, null, size, small, L4: true));
                // What the chip's CPU adds (start-up checks, BeginUpdate's signature, hashing): estimates, firmware.md 10.8.
                scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, null, size, small, Cpu: true));
            }
        }
        int compared = sizes[^1];
        if (!quick && !compareOnly && !args.Contains("--goals-only"))
        {
            scenarios.Add(new("TCP loopback", null, TimeSpan.Zero, true, 1, null, compared, small));
            // How the chain's devices pass frames on (protocol.md 6.3.1): cut-through, the virtual device's default; with
            // --store-and-forward whole frames instead; with --compare-forwarding both, in this run.
            foreach (ForwardingMode forwarding in ForwardingModes(args))
                scenarios.Add(new($"115200 baud, last of a 4-node chain ({Describe(forwarding)})", 115_200, TimeSpan.FromMilliseconds(1), false, 4, null, compared, small, Forwarding: forwarding));
            scenarios.Add(new("1 Mbaud", 1_000_000, TimeSpan.FromMilliseconds(1), false, 1, 1, compared, small));
            scenarios.Add(new("115200 baud, 20 ms round trip", 115_200, TimeSpan.FromMilliseconds(10), false, 1, 1, compared, small));
            scenarios.Add(new("TCP loopback", null, TimeSpan.Zero, true, 1, 1, compared, small));
        }
        // --only TEXT: the rows whose link, image and device description contains TEXT (e.g. "64 KiB, 32 KB SRAM, 115200 baud,");
        // several alternatives separated by '|'.
        int onlyAt = Array.IndexOf(args, "--only");
        if (onlyAt >= 0 && onlyAt + 1 < args.Length)
        {
            string[] wanted = args[onlyAt + 1].Split('|', StringSplitOptions.RemoveEmptyEntries);
            scenarios.RemoveAll(s => !wanted.Any(w => $"{s.Implementation}, {s.PayloadSize / 1024} KiB, {s.DeviceName}, {s.Link}, {(s.Window == 1 ? "stop-and-wait" : "pipelined")}".Contains(w, StringComparison.Ordinal)));
        }
        bool withC = compareOnly || (!quick && !args.Contains("--goals-only") && !args.Contains("--no-c"));
        if (compareOnly)
            scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, null, compared, small));
        if (!quick && !args.Contains("--goals-only") || compareOnly)
            scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, 1, compared, small));
        // With --c-compare also the same 13 KB of buffers in 2 KiB and 4 KiB frames, 64 KiB and the compared size, on both
        // devices: where the eraser's step with the line decides whether a 1 s erase is covered (device-model.md 6.4.1).
        DeviceSettings[] largerFrames = compareOnly && !args.Contains("--no-frames") ? [SmallRam2K, SmallRam4K] : [];
        foreach (DeviceSettings device in largerFrames)
            foreach (int size in sizes)
                scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, null, size, device));
        if (withC)
        {
            foreach (int? window in new int?[] { null, 1 })
                scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, window, compared, small, C: true));
            foreach (DeviceSettings device in largerFrames)
                foreach (int size in sizes)
                    scenarios.Add(new("115200 baud", 115_200, TimeSpan.FromMilliseconds(1), false, 1, null, size, device, C: true));
            s_cProgram = await CDeviceProgram.LocateAsync(null, Console.WriteLine, CancellationToken.None);
        }

        Console.WriteLine($"Application updates (ECDSA-signed, plaintext) to a virtual STM32F4 (1 MB map, TYPICAL flash timing: 128 KB sector erase 1 s, word program 16 us), FirmwareUpdater end to end, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"devices: {small.Name}: {small.Describe}; {SmallRam2K.Name}: {SmallRam2K.Describe}; {SmallRam4K.Name}: {SmallRam4K.Describe}; {LargeRam.Name}: {LargeRam.Describe}; erase-ahead {(s_eraseAhead ? "on" : "off")}; the updater's default writes (one per frame); efficiency = payload / (time x baud / 10); flash-bound = flash busy time (erase + program the device charged) / whole update");
        if (withC)
            Console.WriteLine($"C device: {s_cProgram}");
        Console.WriteLine();
        Console.WriteLine("| implementation | link | image | device | writes in flight | whole update | transfer phase | erase charged in transfer | transfer efficiency | whole-update efficiency | flash busy | of the flash-bound limit |");
        Console.WriteLine("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var results = new List<Measurement>();
        foreach (Scenario scenario in scenarios)
        {
            Measurement m = await MeasureAsync(scenario);
            results.Add(m);
            Console.WriteLine(Row(m));
        }
        Console.WriteLine();
        Console.WriteLine("Where the time goes (seconds per updater stage; flash busy = erase + program time the flash model charged):");
        Console.WriteLine();
        UpdateStage[] columns = [UpdateStage.Connecting, UpdateStage.EnteringBootloader, UpdateStage.Checking, UpdateStage.Erasing, UpdateStage.Transferring, UpdateStage.Verifying, UpdateStage.Restarting, UpdateStage.Confirming];
        Console.WriteLine($"| implementation | link | image | device | writes in flight | {string.Join(" | ", columns)} | flash busy (erases) |");
        Console.WriteLine($"|---|---|---:|---|---:|{string.Concat(columns.Select(_ => "---:|"))}---:|");
        foreach (Measurement m in results)
            Console.WriteLine($"| {m.Scenario.Implementation} | {m.Scenario.Link} | {m.Scenario.PayloadSize / 1024} KiB | {m.Scenario.DeviceName} | {Window(m.Scenario)} | {string.Join(" | ", columns.Select(c => m.Stages.TryGetValue(c, out TimeSpan t) ? t.TotalSeconds.ToString("F2") : "-"))} | {m.FlashBusy.TotalSeconds:F2} s ({m.Erases}) |");
        Console.WriteLine();
        foreach (Measurement chain in results.Where(r => r.Scenario.ChainLength == 4))
        {
            Measurement? direct = results.FirstOrDefault(r => !r.Scenario.C && !r.Scenario.Cpu && !r.Scenario.L4 && r.Scenario.Baud == 115_200 && r.Scenario.Latency == TimeSpan.FromMilliseconds(1)
                && r.Scenario.ChainLength == 1 && r.Scenario.Window is null && r.Scenario.PayloadSize == chain.Scenario.PayloadSize && r.Scenario.Device == chain.Scenario.Device);
            if (direct is not null)
                Console.WriteLine($"last node of the 4-node chain ({Describe(chain.Scenario.Forwarding)}) / direct link (whole update): {chain.Whole.TotalSeconds / direct.Whole.TotalSeconds:F3}; transfer phase: {chain.Transfer.TotalSeconds / direct.Transfer.TotalSeconds:F3}");
        }
        foreach (Measurement s in results.Where(r => r.Scenario.Window == 1))
        {
            Measurement p = results.First(r => r.Scenario with { Window = null } == s.Scenario with { Window = null } && r.Scenario.Window is null);
            Console.WriteLine($"{s.Scenario.Implementation} device, {s.Scenario.Link}: stop-and-wait / pipelined whole-update time {s.Whole.TotalSeconds / p.Whole.TotalSeconds:F2}x, transfer {s.Transfer.TotalSeconds / p.Transfer.TotalSeconds:F2}x");
        }
        // The comparison the C device is held to: its efficiency on the same line against the C# device's, same window.
        if (withC)
        {
            foreach (Measurement c in results.Where(r => r.Scenario.C))
            {
                // The C# row of the same line, window, image and device (the C# device is measured first in every run).
                Measurement? cs = results.FirstOrDefault(r => r.Scenario == c.Scenario with { C = false });
                if (cs is null)
                    continue;
                Console.WriteLine($"115200 baud, {c.Scenario.PayloadSize / 1024} KiB, {c.Scenario.DeviceName}, {(c.Scenario.Window == 1 ? "stop-and-wait" : "pipelined")}: C / C# transfer efficiency {cs.Transfer.TotalSeconds / c.Transfer.TotalSeconds:F3}, whole-update efficiency {cs.Whole.TotalSeconds / c.Whole.TotalSeconds:F3}");
            }
        }
        return 0;
    }

    /// <summary>The forwarding modes a run measures chains with: --store-and-forward, --compare-forwarding (both), else cut-through.</summary>
    internal static ForwardingMode[] ForwardingModes(string[] args) =>
        args.Contains("--compare-forwarding") ? [ForwardingMode.CutThrough, ForwardingMode.StoreAndForward]
        : args.Contains("--store-and-forward") ? [ForwardingMode.StoreAndForward]
        : [ForwardingMode.CutThrough];

    internal static string Describe(ForwardingMode forwarding) => forwarding == ForwardingMode.CutThrough ? "cut-through" : "store-and-forward";

    private static string Window(Scenario s) => s.Window == 1 ? "1" : s.Device.Buffers.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Row(Measurement m)
    {
        Scenario sc = m.Scenario;
        int payload = sc.PayloadSize;
        string window = sc.Window == 1 ? "1 (stop-and-wait)" : $"{sc.Device.Buffers} (pipelined)";
        string head = $"| {sc.Implementation} | {sc.Link} | {payload / 1024} KiB | {sc.DeviceName} | {window} | {m.Whole.TotalSeconds:F2} s";
        string flash = $"{m.FlashBusy.TotalSeconds:F2} s | {m.FlashBusy.TotalSeconds / m.Whole.TotalSeconds:P1} |";
        if (sc.Baud is not int baud)
            return $"{head} | {m.Transfer.TotalSeconds:F2} s ({payload / m.Transfer.TotalSeconds / 1024:F0} KiB/s) | {m.EraseInTransfer.TotalSeconds:F2} s | n/a | n/a | {flash}";
        double capacity = baud / 10.0;
        double transferEff = payload / (m.Transfer.TotalSeconds * capacity);
        double wholeEff = payload / (m.Whole.TotalSeconds * capacity);
        return $"{head} | {m.Transfer.TotalSeconds:F2} s | {m.EraseInTransfer.TotalSeconds:F2} s | {transferEff:P1} | {wholeEff:P1} | {flash}";
    }

    internal static DeviceProfile Profile(int index, DeviceSettings device, bool eraseAhead = true, bool l4 = false, bool cpu = false,
        ForwardingMode forwarding = ForwardingMode.CutThrough) => new()
    {
        MemoryMap = l4 ? MemoryMap.Stm32L4_1M : MemoryMap.Stm32F4_1M,
        CpuTiming = cpu ? (l4 ? CpuTiming.Stm32L4 : CpuTiming.Stm32F4) : null,
        Uid = DeviceUid.FromWords(0x0062_0001u + (uint)index, 0x1122_3344u, 0x5566_7788u),
        TrustedSigningKeys = [SigningKey.PublicKey],
        FlashTiming = FlashTimingProfile.Typical,
        MaxFrameSize = device.Frame,
        ReceiveBuffers = device.Buffers,
        MaxPacketSize = device.PacketSize,
        EraseAhead = eraseAhead,
        Forwarding = forwarding,
    };

    private static bool s_eraseAhead = true;
    private static string s_cProgram = string.Empty;

    /// <summary>A signed image from the factory; its security counter is its major version.</summary>
    internal static FirmwareImage Build(DeviceProfile profile, RegionKind region, FirmwareVersion version, int size) =>
        Factory.BuildImage(profile, region, version, new FactoryImageOptions { Size = size, SecurityCounter = version.Major });

    /// <summary>
    /// A factory-fresh device. Production programming is not what is measured: the factory installs with the flash clock
    /// off (synchronous calls only add to BusyTime) and the statistics count from then on.
    /// </summary>
    internal static VirtualDevice Device(int index, DeviceSettings settings, bool eraseAhead = true, bool l4 = false, bool cpu = false,
        ForwardingMode forwarding = ForwardingMode.CutThrough) =>
        Factory.CreateDevice(Profile(index, settings, eraseAhead, l4, cpu, forwarding), new VirtualDeviceOptions
        {
            HeartbeatInterval = null,
            PublishTelemetry = false,
            Name = $"bench{index}",
            LoggerFactory = StderrLog.ForDevices() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });

    private static async Task<Measurement> MeasureAsync(Scenario scenario)
    {
        int payloadSize = scenario.PayloadSize;
        if (scenario.C)
            return await MeasureCAsync(scenario);
        await using var pending = new AsyncDisposables();
        NetworkLink networkLink;
        VirtualDevice target;
        LineMonitor? monitor = null;
        if (scenario.Tcp)
        {
            target = Device(0, scenario.Device, s_eraseAhead, scenario.L4, scenario.Cpu);
            pending.Add(target);
            await target.PowerOnAsync();
            TcpDeviceServer server = TcpDeviceServer.Start(target, new IPEndPoint(IPAddress.Loopback, 0));
            pending.Add(server);
            networkLink = NetworkLink.FromUri(server.Uri);
        }
        else
        {
            var channel = new EmulatedChannelOptions { BaudRate = scenario.Baud!.Value, Latency = scenario.Latency };
            VirtualDeviceHost host = await VirtualDeviceHost.CreateChainAsync(scenario.ChainLength, i => Device(i, scenario.Device, s_eraseAhead, scenario.L4, scenario.Cpu, scenario.Forwarding), VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(channel)));
            pending.Add(host);
            target = host.Devices[^1];
            // CSA_BENCH_LOG: the host's line watched, to say where it stood idle (after the row).
            monitor = StderrLog.FromEnvironment() is null ? null : new LineMonitor(host.HostPorts[0]);
            networkLink = NetworkLink.FromTransport(monitor ?? host.HostPorts[0]);
        }
        DeviceNetwork network = await DeviceNetwork.ConnectAsync([networkLink], new DeviceNetworkOptions
        {
            Retry = new() { Timeout = TimeSpan.FromSeconds(3) },
            LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
            HostMaxFrameSize = scenario.Device.Frame,
            LoggerFactory = StderrLog.FromEnvironment() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        pending.Add(network);
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();
        DeviceInfo info = devices.Single(d => d.Uid == target.Profile.Uid);
        var updater = new FirmwareUpdater(network, new UpdateOptions
        {
            MaxWritesInFlight = scenario.Window,
            Retry = new() { Timeout = TimeSpan.FromSeconds(3) },
            RestartPollInterval = TimeSpan.FromMilliseconds(20),
            LoggerFactory = StderrLog.FromEnvironment() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        FirmwareImage image = Build(target.Profile, RegionKind.Application, new FirmwareVersion(2, 0, 0, 0), payloadSize);

        TimeSpan eraseAtStart = TimeSpan.Zero, eraseAtEnd = TimeSpan.Zero;
        TimeSpan started = StderrLog.Now, transferStarted = TimeSpan.Zero, transferEnded = TimeSpan.Zero;
        Timed timed = await TimeUpdateAsync(updater, info, image,
            onTransferStart: () => (eraseAtStart, transferStarted) = (EraseTime(target.Flash), StderrLog.Now),
            onTransferEnd: () => (eraseAtEnd, transferEnded) = (EraseTime(target.Flash), StderrLog.Now));
        if (monitor is not null && scenario.Baud is { } baud)
            ReportLine(monitor, baud, started, StderrLog.Now, transferStarted, transferEnded);
        byte[] stored = target.Flash.ReadRaw(target.Profile.MemoryMap.Application.Address, payloadSize);
        if (!stored.AsSpan().SequenceEqual(image.Payload.Span))
            throw new InvalidOperationException("The device's application region differs from the payload: the measurement is void.");
        FlashStatistics stats = target.Flash.Statistics;
        return new Measurement(scenario, timed.Result, timed.Whole, timed.Transfer, eraseAtEnd - eraseAtStart, stats.BusyTime, stats.SectorErases, timed.Stages);
    }

    /// <summary>Where the host's line stood idle during the update (CSA_BENCH_LOG): in all, in the transfer phase, and each stretch of 5 ms or more.</summary>
    private static void ReportLine(LineMonitor monitor, int baud, TimeSpan start, TimeSpan end, TimeSpan transferStart, TimeSpan transferEnd)
    {
        var whole = monitor.Report(baud, start, end, TimeSpan.FromMilliseconds(5));
        var transfer = monitor.Report(baud, transferStart, transferEnd, TimeSpan.FromMilliseconds(5));
        Console.Error.WriteLine($"    line host->device: whole update {(end - start).TotalSeconds:F3} s ({start.TotalSeconds:F3}-{end.TotalSeconds:F3}), {whole.Bytes} bytes = {whole.Bytes * 10.0 / baud:F3} s of line, idle {whole.Idle.TotalSeconds:F3} s; "
            + $"transfer phase {(transferEnd - transferStart).TotalSeconds:F3} s, {transfer.Bytes} bytes = {transfer.Bytes * 10.0 / baud:F3} s of line, idle {transfer.Idle.TotalSeconds:F3} s");
        foreach ((TimeSpan at, TimeSpan length) in whole.Gaps)
            Console.Error.WriteLine($"    line idle from {at.TotalSeconds:F3} s for {length.TotalMilliseconds:F1} ms");
    }

    /// <summary>What <see cref="TimeUpdateAsync"/> measured.</summary>
    private sealed record Timed(UpdateResult Result, TimeSpan Whole, TimeSpan Transfer, IReadOnlyDictionary<UpdateStage, TimeSpan> Stages);

    /// <summary>
    /// Runs one application update and times it: the whole call, the transfer phase and each stage. Stage times are taken
    /// synchronously as the updater reports them. The transfer phase runs from BeginUpdate (stage Erasing) to
    /// FinishUpdate (stage Verifying).
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
    private static async Task<Measurement> MeasureCAsync(Scenario scenario)
    {
        int payloadSize = scenario.PayloadSize;
        var pending = new AsyncDisposables();
        DeviceProfile profile = Profile(1, scenario.Device, s_eraseAhead);
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
                Retry = new() { Timeout = TimeSpan.FromSeconds(3) },
                LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
                HostMaxFrameSize = scenario.Device.Frame,
            });
            pending.Add(network);
            DeviceInfo info = (await network.DiscoverAsync()).Single(d => d.Uid == profile.Uid);
            var updater = new FirmwareUpdater(network, new UpdateOptions
            {
                MaxWritesInFlight = scenario.Window,
                Retry = new() { Timeout = TimeSpan.FromSeconds(3) },
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

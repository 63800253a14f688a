using System.Diagnostics;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Cli.Simulation;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Hosting;

namespace Csa.Benchmarks.Updates;

/// <summary>
/// Whole application updates of 1, 2, 4 and 8 virtual STM32F4 devices on one daisy chain of emulated 115200 baud links
/// (typical flash timing, erase-ahead), in real time, three ways: one transfer written to a group (multicast,
/// <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/>),
/// one device after another, and every device at once by unicast; each as a ratio to one device in the same run. With
/// <c>--c</c> every member is the C device (firmware/: a csa-device process with the same product settings, its TCP
/// links bridged to the same emulated lines, as <c>csa sim --c-device</c> wires it).
/// </summary>
internal static class MulticastSpeedCommand
{
    public const string Name = "multicast-speed";

    private sealed record Measurement(string How, int Devices, TimeSpan Time, long HostBytesSent, int MulticastRows);

    public static async Task<int> RunAsync(string[] args)
    {
        bool quick = args.Contains("--quick");
        int sizeAt = Array.IndexOf(args, "--size");
        int payloadSize = sizeAt >= 0 && sizeAt + 1 < args.Length ? int.Parse(args[sizeAt + 1], System.Globalization.CultureInfo.InvariantCulture) * 1024 : 64 * 1024;
        UpdateSpeedCommand.DeviceSettings device = args.Contains("--large-ram") ? UpdateSpeedCommand.LargeRam
            : args.Contains("--mid-ram") ? UpdateSpeedCommand.MidRam : UpdateSpeedCommand.SmallRam;
        int[] counts = quick ? [1, 2, 4] : [1, 2, 4, 8];
        s_eraseAhead = !args.Contains("--no-erase-ahead");
        if (Array.IndexOf(args, "--only") is int onlyAt and >= 0 && onlyAt + 1 < args.Length)
            counts = [1, int.Parse(args[onlyAt + 1], System.Globalization.CultureInfo.InvariantCulture)];
        s_cProgram = args.Contains("--c") ? await CDeviceProgram.LocateAsync(null, Console.Error.WriteLine, CancellationToken.None) : null;

        bool multicastOnly = args.Contains("--multicast-only");
        ForwardingMode[] modes = UpdateSpeedCommand.ForwardingModes(args);
        string members = s_cProgram is null ? "virtual STM32F4 (the C# device)" : $"C devices (STM32F4, {s_cProgram})";
        Console.WriteLine($"Application updates of {payloadSize / 1024} KiB (ECDSA-signed, plaintext) to N {members} on one daisy chain of emulated 115200 baud 8N1 links (1 ms latency per hop), TYPICAL flash timing, erase-ahead, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"device: {device.Name}: {device.Describe}; every row starts with the applications running and ends with the new one confirmed on every device");
        var ratios = new List<string>();
        foreach (ForwardingMode forwarding in modes)
            ratios.AddRange(await RunSeriesAsync(forwarding, counts, payloadSize, device, multicastOnly));
        if (modes.Length > 1)
        {
            Console.WriteLine();
            foreach (string line in ratios)
                Console.WriteLine(line);
        }
        return 0;
    }

    /// <summary>One table: one device, then each count three ways, every device forwarding in <paramref name="forwarding"/> mode.</summary>
    private static async Task<List<string>> RunSeriesAsync(ForwardingMode forwarding, int[] counts, int payloadSize, UpdateSpeedCommand.DeviceSettings device, bool multicastOnly)
    {
        s_forwarding = forwarding;
        Console.WriteLine();
        Console.WriteLine($"Devices forward {UpdateSpeedCommand.Describe(forwarding)} (docs/protocol.md 6.3.1), {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC:");
        Console.WriteLine();
        var results = new List<Measurement>();
        Measurement one = await MeasureAsync("one device", 1, payloadSize, device, UpdateAsync.Sequential);
        results.Add(one);
        foreach (int n in counts.Where(c => c > 1))
        {
            results.Add(await MeasureAsync("multicast", n, payloadSize, device, UpdateAsync.Multicast));
            results.Add(multicastOnly ? results[^1] with { How = "one after another" } : await MeasureAsync("one after another", n, payloadSize, device, UpdateAsync.Sequential));
            results.Add(multicastOnly ? results[^2] with { How = "concurrent unicast" } : await MeasureAsync("concurrent unicast", n, payloadSize, device, UpdateAsync.Concurrent));
        }

        Console.WriteLine("| devices | multicast | one after another | concurrent unicast | multicast / one device | one after another / one device | concurrent unicast / one device | bytes the host sent, multicast / one device |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| 1 | {one.Time.TotalSeconds:F2} s | {one.Time.TotalSeconds:F2} s | {one.Time.TotalSeconds:F2} s | 1.00 | 1.00 | 1.00 | 1.00 |");
        foreach (int n in counts.Where(c => c > 1))
        {
            Measurement m = results.Single(r => r.Devices == n && r.How == "multicast");
            Measurement s = results.Single(r => r.Devices == n && r.How == "one after another");
            Measurement c = results.Single(r => r.Devices == n && r.How == "concurrent unicast");
            Console.WriteLine($"| {n} | {m.Time.TotalSeconds:F2} s | {s.Time.TotalSeconds:F2} s | {c.Time.TotalSeconds:F2} s | {Ratio(m, one)} | {Ratio(s, one)} | {Ratio(c, one)} | {(double)m.HostBytesSent / one.HostBytesSent:F2} |");
        }
        Console.WriteLine();
        foreach (Measurement m in results.Where(r => r.How == "multicast"))
            Console.WriteLine($"{m.Devices} devices, multicast: {m.MulticastRows} of {m.Devices} rows took the shared transfer");
        return results.Where(r => r.How == "multicast")
            .Select(m => $"{UpdateSpeedCommand.Describe(forwarding)}: {m.Devices} devices multicast / one device {Ratio(m, one)} ({m.Time.TotalSeconds:F2} s / {one.Time.TotalSeconds:F2} s)")
            .ToList();
    }

    private static bool s_eraseAhead = true;
    private static ForwardingMode s_forwarding = ForwardingMode.CutThrough;

    /// <summary>The csa-device program when the members are C devices (<c>--c</c>); null for the C# device.</summary>
    private static string? s_cProgram;

    private static string Ratio(Measurement m, Measurement one) => (m.Time.TotalSeconds / one.Time.TotalSeconds).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);

    private enum UpdateAsync
    {
        Multicast,
        Sequential,
        Concurrent,
    }

    private static async Task<Measurement> MeasureAsync(string how, int count, int payloadSize, UpdateSpeedCommand.DeviceSettings settings, UpdateAsync mode)
    {
        var channel = new EmulatedChannelOptions { BaudRate = 115_200, Latency = TimeSpan.FromMilliseconds(1) };
        await using CChain? cChain = s_cProgram is null ? null : await CChain.StartAsync(s_cProgram, count, settings, VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(channel)));
        await using VirtualDeviceHost? host = cChain is not null ? null : await VirtualDeviceHost.CreateChainAsync(count, i => UpdateSpeedCommand.Device(i, settings, s_eraseAhead, forwarding: s_forwarding),
            VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(channel)));
        ILinkTransport hostPort = cChain?.HostPort ?? host!.HostPorts[0];
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(hostPort)], new DeviceNetworkOptions
        {
            Retry = new() { Timeout = TimeSpan.FromSeconds(3) },
            LinkManagementTimeout = TimeSpan.FromMilliseconds(500),
            HostMaxFrameSize = settings.Frame,
            LoggerFactory = StderrLog.FromEnvironment() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync();
        if (devices.Count != count)
            throw new InvalidOperationException($"{devices.Count} of {count} devices answered: the measurement is void.");
        var updater = new FirmwareUpdater(network, new UpdateOptions
        {
            Retry = new() { Timeout = TimeSpan.FromSeconds(3) },
            RestartPollInterval = TimeSpan.FromMilliseconds(20),
            Multicast = mode == UpdateAsync.Multicast,
            LoggerFactory = StderrLog.FromEnvironment() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        });
        FirmwareImage image = UpdateSpeedCommand.Build(UpdateSpeedCommand.Profile(0, settings, s_eraseAhead), RegionKind.Application, new FirmwareVersion(2, 0, 0, 0), payloadSize);
        long sentBefore = network.Node.Links[0].Counters.BytesSent;

        var stopwatch = Stopwatch.StartNew();
        IReadOnlyList<InstallResult> rows;
        switch (mode)
        {
            case UpdateAsync.Sequential:
                var list = new List<InstallResult>();
                foreach (DeviceInfo d in devices)
                {
                    UpdateResult r = await updater.UpdateApplicationAsync(d, image);
                    list.Add(new InstallResult(d.Uid, d.Address, d.ProductName, true, null, null, r.VersionBefore, r.VersionAfter, r.BytesSent, r.Duration, r));
                }
                rows = list;
                break;
            case UpdateAsync.Concurrent:
                rows = await updater.InstallAsync(devices, image, maxParallel: count);
                break;
            default:
                rows = await updater.UpdateManyAsync(devices, image, maxParallel: count);
                break;
        }
        stopwatch.Stop();
        if (rows.Any(r => !r.Succeeded))
            throw new InvalidOperationException($"{how}, {count} devices: {string.Join("; ", rows.Where(r => !r.Succeeded).Select(r => r.FailureReason))}: the measurement is void.");
        // A C device's payload is checked by the updater's region hash (it hashes what it wrote); a C# device's is read back.
        foreach (VirtualDevice device in host?.Devices ?? [])
        {
            byte[] stored = device.Flash.ReadRaw(device.Profile.MemoryMap.Application.Address, payloadSize);
            if (!stored.AsSpan().SequenceEqual(image.Payload.Span))
                throw new InvalidOperationException($"{device.Name}'s application region differs from the payload: the measurement is void.");
        }
        var m = new Measurement(how, count, stopwatch.Elapsed, network.Node.Links[0].Counters.BytesSent - sentBefore, rows.Count(r => r.Result?.Multicast == true));
        Console.Error.WriteLine($"  {how}, {count} device(s): {m.Time.TotalSeconds:F2} s, host sent {m.HostBytesSent} bytes");
        return m;
    }

    /// <summary>
    /// A daisy chain of C devices: device i's process with the product settings of the C# device i
    /// (<see cref="UpdateSpeedCommand.Profile"/>, factory images from <see cref="UpdateSpeedCommand.Factory"/>), cable 0 from
    /// the host port to device 0's upstream, cable i from device i-1's downstream to device i's upstream, as
    /// <c>csa sim</c> wires C devices (<see cref="CSimulatedDevice"/>); powered on.
    /// </summary>
    private sealed class CChain : IAsyncDisposable
    {
        private readonly List<SimulatedDevice> _devices = [];
        private readonly List<IAsyncDisposable> _media = [];

        public ILinkTransport HostPort { get; private set; } = null!;

        public static async Task<CChain> StartAsync(string program, int count, UpdateSpeedCommand.DeviceSettings settings, VirtualLinkFactory cables)
        {
            var chain = new CChain();
            try
            {
                var spec = new SimulationSpec { Devices = count, Timing = Csa.Simulator.Flash.FlashTimingProfile.Typical };
                for (int i = 0; i < count; i++)
                {
                    chain._devices.Add(await CSimulatedDevice.CreateAsync(i, UpdateSpeedCommand.Profile(i, settings, s_eraseAhead, forwarding: s_forwarding), program, spec, TimeSpan.FromSeconds(1),
                        serving: false, flashFile: null, keyStorage: null, UpdateSpeedCommand.Factory, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, CancellationToken.None));
                }
                for (int i = 0; i < count; i++)
                {
                    VirtualLink cable = cables(i);
                    if (cable.Medium is not null)
                        chain._media.Add(cable.Medium);
                    if (i == 0)
                        chain.HostPort = cable.HostEnd;
                    else
                        chain._devices[i - 1].AttachDownstream(cable.HostEnd);
                    chain._devices[i].AttachUpstream(cable.DeviceEnd);
                }
                await Task.WhenAll(chain._devices.Select(d => d.PowerOnAsync(CancellationToken.None)));
                return chain;
            }
            catch
            {
                await chain.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (SimulatedDevice device in _devices)
                await device.DisposeAsync();
            foreach (IAsyncDisposable medium in _media)
                await medium.DisposeAsync();
        }
    }
}

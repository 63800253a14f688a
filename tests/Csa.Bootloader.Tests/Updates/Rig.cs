using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Virtual devices wired in a star (one re-pluggable cable each) or a daisy chain, a host network over them, an updater
/// with timeouts suited to instant flash, and the discovered devices.
/// </summary>
internal sealed class Rig : IAsyncDisposable
{
    private readonly BreakableCable[] _cables;

    private Rig(VirtualDeviceHost host, DeviceNetwork network, FirmwareUpdater updater, BreakableCable[] cables)
    {
        Host = host;
        Network = network;
        Updater = updater;
        _cables = cables;
    }

    public VirtualDeviceHost Host { get; }

    public DeviceNetwork Network { get; }

    public FirmwareUpdater Updater { get; }

    public IReadOnlyList<DeviceInfo> Devices { get; private set; } = [];

    public IReadOnlyList<VirtualDevice> Virtual => Host.Devices;

    public static UpdateOptions FastOptions() => new()
    {
        Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
        EraseTimeout = TimeSpan.FromMilliseconds(500),
        RestartPollInterval = TimeSpan.FromMilliseconds(20),
        AddressRetentionGrace = TimeSpan.FromMilliseconds(600),
        RestartTimeout = TimeSpan.FromSeconds(20),
        ResumeDelay = TimeSpan.FromMilliseconds(50),
        MaxResumeAttempts = 10,
    };

    public static DeviceNetworkOptions NetworkOptions() => new()
    {
        Retry = new() { Timeout = TimeSpan.FromSeconds(1) },
        LinkManagementTimeout = TimeSpan.FromMilliseconds(150),
    };

    /// <summary>
    /// A star: one cable per device, each with a host half that <see cref="UnplugAsync"/> pulls out; the network reopens
    /// the link by plugging a new host half in.
    /// </summary>
    public static async Task<Rig> StarAsync(int count, Func<int, VirtualDevice> deviceFactory, UpdateOptions? options = null)
    {
        var cables = new BreakableCable[count];
        for (int i = 0; i < count; i++)
            cables[i] = new BreakableCable($"star{i}");
        VirtualDeviceHost host = await VirtualDeviceHost.CreateStarAsync(count, deviceFactory, index =>
        {
            // The host ports of the virtual host are not used: the network plugs host halves in itself.
            (InMemoryTransport unused, InMemoryTransport _) = InMemoryTransport.CreatePair($"unused{index}");
            return new VirtualLink(unused, cables[index].DeviceEnd, cables[index]);
        });
        var links = new NetworkLink[count];
        for (int i = 0; i < count; i++)
        {
            BreakableCable cable = cables[i];
            links[i] = NetworkLink.FromFactory($"star{i}", () => cable.PlugHostHalf());
        }
        return await FinishAsync(host, links, options, cables);
    }

    /// <summary>A star over the given cables (emulated serial lines, for example); its links cannot be reopened.</summary>
    public static async Task<Rig> StarOverAsync(int count, Func<int, VirtualDevice> deviceFactory, VirtualLinkFactory cables, UpdateOptions? options = null)
    {
        VirtualDeviceHost host = await VirtualDeviceHost.CreateStarAsync(count, deviceFactory, cables);
        return await FinishAsync(host, host.HostPorts.Select(p => NetworkLink.FromTransport(p)).ToArray(), options, []);
    }

    /// <summary>A daisy chain behind one host port.</summary>
    public static async Task<Rig> ChainAsync(int count, Func<int, VirtualDevice> deviceFactory, UpdateOptions? options = null)
    {
        VirtualDeviceHost host = await VirtualDeviceHost.CreateChainAsync(count, deviceFactory);
        return await FinishAsync(host, [NetworkLink.FromTransport(host.HostPorts[0])], options, []);
    }

    /// <summary>
    /// A daisy chain over the given cables (cable 0 from the host to the first device, cable i from device i-1 to device i).
    /// </summary>
    public static async Task<Rig> ChainOverAsync(int count, Func<int, VirtualDevice> deviceFactory, VirtualLinkFactory cables, UpdateOptions? options = null)
    {
        VirtualDeviceHost host = await VirtualDeviceHost.CreateChainAsync(count, deviceFactory, cables);
        return await FinishAsync(host, [NetworkLink.FromTransport(host.HostPorts[0])], options, []);
    }

    /// <summary>
    /// How long the tests that count resent requests (event 102) wait for an answer: a frame lost on the wire is never
    /// answered and is resent however long the wait, while a test process stalled by a loaded machine (a second or more
    /// with several test assemblies and builds on 2 cores) must not count as a loss.
    /// </summary>
    private static readonly TimeSpan PatientRequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The RPC client's event for a request sent again after its timeout (Csa.Rpc's RpcLog).</summary>
    private const int RequestResent = 102;

    /// <summary>The updater's event for an attempt that faulted and resumes (UpdateLog.Resuming).</summary>
    private const int UpdateResuming = 4012;

    /// <summary>
    /// A daisy chain of these devices over emulated 1 Mbaud lines, for the tests of restarts on a chain (docs/updates.md
    /// section 10): fast enough for a short test, slow enough that the other devices' frames are on the wire whenever one
    /// restarts. The updater (with <paramref name="options"/>) and the network log to <paramref name="events"/> and wait
    /// <see cref="PatientRequestTimeout"/> for an answer, so that <see cref="AssertNothingLostToARestart"/> counts lost
    /// frames, not a stalled test process.
    /// </summary>
    public static async Task<Rig> RestartWatchedChainAsync(DeviceProfile[] profiles, UpdateOptions options, UpdaterEvents events)
    {
        var line = new EmulatedChannelOptions { BaudRate = 1_000_000, Latency = TimeSpan.FromMilliseconds(1) };
        VirtualDeviceHost host = await VirtualDeviceHost.CreateChainAsync(profiles.Length, i => DeviceKit.Device(profiles[i]), VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(line)));
        options = options with { LoggerFactory = events, Retry = options.Retry with { Timeout = PatientRequestTimeout } };
        return await FinishAsync(host, [NetworkLink.FromTransport(host.HostPorts[0])], options, [], events, PatientRequestTimeout);
    }

    /// <summary>Nothing was lost to a restart: no request waited out its timeout and went again, no update resumed.</summary>
    public static void AssertNothingLostToARestart(UpdaterEvents events, IReadOnlyList<InstallResult> rows)
    {
        Assert.Empty(events.Of(RequestResent));
        Assert.Empty(events.Of(UpdateResuming));
        Assert.All(rows, r => Assert.Equal(0, r.Result!.ResumeCount));
    }

    private static async Task<Rig> FinishAsync(VirtualDeviceHost host, NetworkLink[] links, UpdateOptions? options, BreakableCable[] replacements,
        Microsoft.Extensions.Logging.ILoggerFactory? networkLog = null, TimeSpan? requestTimeout = null)
    {
        DeviceNetworkOptions networkOptions = NetworkOptions();
        if (networkLog is not null)
            networkOptions = networkOptions with { LoggerFactory = networkLog };
        if (requestTimeout is { } patient)
            networkOptions = networkOptions with { Retry = networkOptions.Retry with { Timeout = patient } };
        DeviceNetwork network = await DeviceNetwork.ConnectAsync(links, networkOptions);
        var rig = new Rig(host, network, new FirmwareUpdater(network, options ?? FastOptions()), replacements);
        using var guard = new CancellationTokenSource(DeviceKit.HangGuard);
        rig.Devices = await network.DiscoverAsync(guard.Token);
        Assert.Equal(host.Devices.Count, rig.Devices.Count);
        return rig;
    }

    /// <summary>The discovered device with the same unique id as <paramref name="device"/>.</summary>
    public DeviceInfo InfoOf(VirtualDevice device) => Devices.Single(d => d.Uid == device.Profile.Uid);

    /// <summary>Pulls the host half of star cable <paramref name="index"/> out (the device keeps its power and its wire).</summary>
    public Task UnplugAsync(int index) => _cables[index].UnplugHostHalfAsync();

    /// <summary>How many host halves star cable <paramref name="index"/> has had plugged in.</summary>
    public int PlugCount(int index) => _cables[index].Generation;

    /// <summary>Drops the frames the host sends to device <paramref name="index"/> that <paramref name="drop"/> picks (decoded frames, docs/protocol.md §4).</summary>
    public void DropFromHost(int index, Func<byte[], bool>? drop) => _cables[index].DropFromHost = drop;

    /// <summary>Drops the frames device <paramref name="index"/> sends that <paramref name="drop"/> takes (a star's cable; see <see cref="BreakableCable.DropFromDevice"/>).</summary>
    public void DropFromDevice(int index, Func<byte[], bool>? drop) => _cables[index].DropFromDevice = drop;


    public static CancellationTokenSource Guard() => new(DeviceKit.HangGuard);

    public async ValueTask DisposeAsync()
    {
        await Network.DisposeAsync();
        await Host.DisposeAsync(); // disposes the cables too (they are the links' media)
    }
}

/// <summary>Collects progress reports synchronously (no synchronization context), thread-safe.</summary>
internal sealed class ProgressLog : IProgress<UpdateProgress>
{
    private readonly List<UpdateProgress> _reports = [];
    private readonly Action<UpdateProgress>? _onReport;

    public ProgressLog(Action<UpdateProgress>? onReport = null) => _onReport = onReport;

    public IReadOnlyList<UpdateProgress> Reports
    {
        get
        {
            lock (_reports)
                return _reports.ToArray();
        }
    }

    public void Report(UpdateProgress value)
    {
        lock (_reports)
            _reports.Add(value);
        _onReport?.Invoke(value);
    }
}

/// <summary>
/// A mains supply that comes back: whenever the device goes off (a power cut the test made, or one its flash
/// triggered), it is switched on again, until disposed.
/// </summary>
internal sealed class PowerSupply : IDisposable
{
    private readonly VirtualDevice _device;
    private int _disposed;

    public PowerSupply(VirtualDevice device)
    {
        _device = device;
        device.StateChanged += OnStateChanged;
    }

    public int Restorations;

    private void OnStateChanged(object? sender, VirtualDeviceStateChange change)
    {
        if (change.Current != VirtualDeviceState.Off || Volatile.Read(ref _disposed) != 0)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(20);
                if (Volatile.Read(ref _disposed) == 0)
                {
                    await _device.PowerOnAsync();
                    Interlocked.Increment(ref Restorations);
                }
            }
            catch (ObjectDisposedException)
            {
            }
        });
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        _device.StateChanged -= OnStateChanged;
    }
}

using System.Threading.Channels;
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
    private readonly Channel<ILinkTransport>[] _replacementHostEnds;

    private Rig(VirtualDeviceHost host, DeviceNetwork network, FirmwareUpdater updater, Channel<ILinkTransport>[] replacementHostEnds)
    {
        Host = host;
        Network = network;
        Updater = updater;
        _replacementHostEnds = replacementHostEnds;
    }

    public VirtualDeviceHost Host { get; }

    public DeviceNetwork Network { get; }

    public FirmwareUpdater Updater { get; }

    public IReadOnlyList<DeviceInfo> Devices { get; private set; } = [];

    public IReadOnlyList<VirtualDevice> Virtual => Host.Devices;

    public static UpdateOptions FastOptions() => new()
    {
        CommandTimeout = TimeSpan.FromSeconds(1),
        EraseTimeout = TimeSpan.FromMilliseconds(500),
        RestartPollInterval = TimeSpan.FromMilliseconds(20),
        AddressRetentionGrace = TimeSpan.FromMilliseconds(600),
        RestartTimeout = TimeSpan.FromSeconds(20),
        ResumeDelay = TimeSpan.FromMilliseconds(50),
        MaxResumeAttempts = 10,
    };

    public static DeviceNetworkOptions NetworkOptions() => new()
    {
        CommandTimeout = TimeSpan.FromSeconds(1),
        LinkManagementTimeout = TimeSpan.FromMilliseconds(250),
    };

    /// <summary>A star: one cable per device; <see cref="ReplugAsync"/> pulls a cable and plugs a new one in.</summary>
    public static async Task<Rig> StarAsync(int count, Func<int, VirtualDevice> deviceFactory, UpdateOptions? options = null)
    {
        VirtualDeviceHost host = await VirtualDeviceHost.CreateStarAsync(count, deviceFactory);
        var replacements = new Channel<ILinkTransport>[count];
        var links = new NetworkLink[count];
        for (int i = 0; i < count; i++)
        {
            Channel<ILinkTransport> channel = Channel.CreateUnbounded<ILinkTransport>();
            channel.Writer.TryWrite(host.HostPorts[i]);
            replacements[i] = channel;
            // Each (re)open takes the next cable end plugged in for this port, waiting for it if the cable is still out.
            links[i] = NetworkLink.FromFactory($"star{i}", async ct => await channel.Reader.ReadAsync(ct));
        }
        return await FinishAsync(host, links, options, replacements);
    }

    /// <summary>A daisy chain behind one host port.</summary>
    public static async Task<Rig> ChainAsync(int count, Func<int, VirtualDevice> deviceFactory, UpdateOptions? options = null)
    {
        VirtualDeviceHost host = await VirtualDeviceHost.CreateChainAsync(count, deviceFactory);
        return await FinishAsync(host, [NetworkLink.FromTransport(host.HostPorts[0])], options, []);
    }

    private static async Task<Rig> FinishAsync(VirtualDeviceHost host, NetworkLink[] links, UpdateOptions? options, Channel<ILinkTransport>[] replacements)
    {
        DeviceNetwork network = await DeviceNetwork.ConnectAsync(links, NetworkOptions());
        var rig = new Rig(host, network, new FirmwareUpdater(network, options ?? FastOptions()), replacements);
        using var guard = new CancellationTokenSource(UpdateKit.HangGuard);
        rig.Devices = await network.DiscoverAsync(guard.Token);
        Assert.Equal(host.Devices.Count, rig.Devices.Count);
        return rig;
    }

    /// <summary>The discovered device with the same unique id as <paramref name="device"/>.</summary>
    public DeviceInfo InfoOf(VirtualDevice device) => Devices.Single(d => d.Uid == device.Profile.Uid);

    /// <summary>Pulls star cable <paramref name="index"/> out and plugs a new one in (the device keeps its power).</summary>
    public async Task ReplugAsync(int index)
    {
        VirtualDevice device = Host.Devices[index];
        await device.DetachUpstreamAsync();
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair($"replug{index}-{Guid.NewGuid():N}");
        device.AttachUpstream(deviceEnd);
        _replacementHostEnds[index].Writer.TryWrite(hostEnd);
    }

    /// <summary>Cuts the power of <paramref name="device"/> at once and switches it on again after it is off.</summary>
    public static async Task PowerCutAndRestoreAsync(VirtualDevice device)
    {
        await device.CutPowerAsync();
        await device.PowerOnAsync();
    }

    public static CancellationTokenSource Guard() => new(UpdateKit.HangGuard);

    public async ValueTask DisposeAsync()
    {
        await Network.DisposeAsync();
        await Host.DisposeAsync();
        foreach (Channel<ILinkTransport> channel in _replacementHostEnds)
        {
            channel.Writer.TryComplete();
            while (channel.Reader.TryRead(out ILinkTransport? unused))
                await unused.DisposeAsync();
        }
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

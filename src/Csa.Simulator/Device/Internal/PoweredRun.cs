using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.Firmware;
using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// Everything that exists only while the device has power: the data link node over the wires, the RPC server,
/// the services of the running image and their timers. Built at power-on, thrown away at power-down, as RAM is.
/// </summary>
internal sealed class PoweredRun : IAsyncDisposable
{
    private readonly List<WireSession> _sessions = [];
    private readonly RpcServer _server;
    private readonly DeviceService _deviceService;
    private readonly DemoApplication? _application;
    private readonly ILogger _logger;
    private readonly string _deviceName;
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _heartbeat;
    private int _heartbeatBusy;

    public PoweredRun(
        string deviceName,
        DeviceProfile profile,
        VirtualDeviceOptions options,
        VirtualDeviceState state,
        NodeAddress address,
        IFirmwarePort firmware,
        IDeviceControl control,
        Func<ImageVersion> applicationVersion,
        Action onPowerLoss)
    {
        _deviceName = deviceName;
        _logger = options.LoggerFactory.CreateLogger<VirtualDevice>();
        State = state;
        Clock = new DeviceClock(options.TimeProvider);
        Node = new DataLinkNode(new DataLinkNodeOptions
        {
            LocalAddress = address,
            AllowAddressAssignment = true,
            MaxFrameSize = profile.MaxFrameSize,
            ReceiveBuffers = profile.ReceiveBuffers,
            MaxPacketSize = profile.MaxPacketSize,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        });
        _server = new RpcServer(Node.OpenSocket(WellKnownPorts.Rpc), new RpcServerOptions
        {
            MaxConcurrentRequests = profile.ReceiveBuffers,
            MaxRequestPayloadSize = profile.MaxPacketSize,
            OwnsSocket = true,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        });
        ImageKind image = state == VirtualDeviceState.Bootloader ? ImageKind.Bootloader : ImageKind.Application;
        _deviceService = new DeviceService(profile, image, control);
        Action powerLost = () =>
        {
            Silence();
            onPowerLoss();
        };
        _server.Register(new PowerAwareService(_deviceService, powerLost));
        if (state == VirtualDeviceState.Bootloader)
        {
            _server.Register(new PowerAwareService(firmware.BootloaderService, powerLost));
        }
        else
        {
            _application = new DemoApplication(applicationVersion(), Clock, _logger);
            _server.Register(new PowerAwareService(_application, powerLost));
        }
        if (options.HeartbeatInterval is { } interval)
            _heartbeat = options.TimeProvider.CreateTimer(static s => ((PoweredRun)s!).OnHeartbeat(), this, interval, interval);
        _publishTelemetry = options.PublishTelemetry;
    }

    private readonly bool _publishTelemetry;

    public VirtualDeviceState State { get; }

    public DataLinkNode Node { get; }

    public DeviceClock Clock { get; }

    public DemoApplication? Application => _application;

    /// <summary>Cancelled when the run powers down.</summary>
    public CancellationToken Stopping => _stop.Token;

    public DeviceState ProtocolState => State == VirtualDeviceState.Bootloader ? DeviceState.WaitingForUpdate : DeviceState.Running;

    /// <summary>Lends <paramref name="wire"/> to the node as a link.</summary>
    public void Connect(DeviceWire wire, LinkRole role)
    {
        WireSession session = wire.OpenSession();
        lock (_sessions)
            _sessions.Add(session);
        Node.AddLink(session, role);
    }

    /// <summary>Starts answering and publishing.</summary>
    public void Start()
    {
        _server.Start();
        if (_publishTelemetry)
            _application?.StartTelemetry();
        _ = PublishBestEffortAsync(() => _deviceService.PublishStateChangedAsync(DeviceState.Starting, ProtocolState, _stop.Token));
    }

    /// <summary>Stops every transmission at once: the first thing that happens when the supply collapses.</summary>
    public void Silence()
    {
        lock (_sessions)
        {
            foreach (WireSession session in _sessions)
                session.Silence();
        }
    }

    private void OnHeartbeat()
    {
        if (_stop.IsCancellationRequested || Interlocked.Exchange(ref _heartbeatBusy, 1) != 0)
            return;
        _ = PublishBestEffortAsync(async () =>
        {
            try
            {
                await _deviceService.PublishHeartbeatAsync(ProtocolState, Clock.Uptime, _stop.Token).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _heartbeatBusy, 0);
            }
        });
    }

    private async Task PublishBestEffortAsync(Func<Task> publish)
    {
        try
        {
            await publish().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Events are best effort: nobody listening, no route yet, or the power going down.
            DeviceLog.EventNotSent(_logger, _deviceName, ex.Message);
        }
    }

    /// <summary>Stops the timers, cancels and waits for the commands still executing, closes the node.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_heartbeat is { } heartbeat)
            await heartbeat.DisposeAsync().ConfigureAwait(false);
        if (_application is not null)
            await _application.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        await Node.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}

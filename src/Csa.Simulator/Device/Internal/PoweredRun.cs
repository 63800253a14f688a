using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Firmware.Internal;
using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// Everything that exists only while the device has power: the data link node over the wires, the RPC server,
/// the services of the running image and their timers. Built at power-on, thrown away at power-down, as RAM is.
/// </summary>
internal sealed class PoweredRun : IAsyncDisposable
{
    private readonly List<WireSession> _sessions = [];
    private readonly object _serverGate = new();
    private readonly RpcServerOptions _serverOptions;
    private readonly List<IRpcService> _services = [];
    private RpcServer _server;
    private AnswerWatchSocket? _socket;
    private ArrivalWatchSocket? _arrivals;
    private readonly DeviceService _deviceService;
    private readonly DemoApplication? _application;
    private readonly ILogger _logger;
    private readonly string _deviceName;
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan? _heartbeatInterval;
    private readonly bool _publishTelemetry;
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
            MaxGroups = profile.Multicast ? 4 : 0,
            Forwarding = profile.Forwarding,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        });
        _serverOptions = new RpcServerOptions
        {
            MaxConcurrentRequests = profile.ReceiveBuffers,
            MaxRequestPayloadSize = profile.MaxPacketSize,
            OwnsSocket = true,
            TimeProvider = options.TimeProvider,
            LoggerFactory = options.LoggerFactory,
        };
        ImageKind image = state == VirtualDeviceState.Bootloader ? ImageKind.Bootloader : ImageKind.Application;
        _deviceService = new DeviceService(profile, image, control);
        Action powerLost = () =>
        {
            Silence();
            onPowerLoss();
        };
        // The device takes each host's commands in arrival order, as a chip's command loop does: the RPC server's default
        // (RpcExecution.InArrivalOrder), for every service registered here.
        _services.Add(new PowerAwareService(_deviceService, powerLost));
        // Identity and authentication are the bootloader's, exported to the application too (the key never leaves it).
        _services.Add(new PowerAwareService(firmware.ProvisioningService, powerLost));
        if (state == VirtualDeviceState.Bootloader)
        {
            _services.Add(new PowerAwareService(firmware.BootloaderService, powerLost));
            // An erase the bootloader runs in the background (erase-ahead) can lose power with no command in progress.
            if (firmware.BootloaderService is BootloaderService bootloader)
            {
                bootloader.BackgroundPowerLost = powerLost;
                // The eraser yields to commands the server has received and not started (in the receive buffers).
                bootloader.CommandsReceived = CommandsReceived;
                bootloader.ReceivePath = ReceivePath;
            }
        }
        else
        {
            _application = new DemoApplication(applicationVersion(), Clock, _logger);
            _services.Add(new PowerAwareService(_application, powerLost));
        }
        _server = CreateServer();
        _time = options.TimeProvider;
        _heartbeatInterval = options.HeartbeatInterval;
        _publishTelemetry = options.PublishTelemetry;
    }

    public VirtualDeviceState State { get; }

    public DataLinkNode Node { get; }

    public DeviceClock Clock { get; }

    public DemoApplication? Application => _application;

    /// <summary>
    /// Completes when the RPC server has handed its answer to <paramref name="commandId"/> of interface
    /// <paramref name="interfaceId"/> for <paramref name="requester"/> to the link. Register before the answer is sent
    /// (inside the command's handler).
    /// </summary>
    public Task AnswerSentAsync(Endpoint requester, ushort interfaceId, ushort commandId) =>
        Volatile.Read(ref _socket)?.AnswerSentAsync(requester, interfaceId, commandId) ?? Task.CompletedTask;

    /// <summary>Completes when what the node wrote has left the device on every wire (a bus slave's queue read by the master).</summary>
    public Task TransmittedAsync(CancellationToken cancellationToken)
    {
        WireSession[] sessions;
        lock (_sessions)
            sessions = [.. _sessions];
        return Task.WhenAll(sessions.Select(s => s.TransmittedAsync(cancellationToken)));
    }

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
        WatchForLinkLoss(_server);
        if (_heartbeatInterval is { } interval)
            _heartbeat = _time.CreateTimer(static s => ((PoweredRun)s!).OnHeartbeat(), this, interval, interval);
        if (_publishTelemetry)
            _application?.StartTelemetry();
        _ = PublishBestEffortAsync(() => _deviceService.PublishStateChangedAsync(DeviceState.Starting, ProtocolState, _stop.Token));
    }

    // Read at each check: the server is replaced when the link under it is lost.
    private bool CommandsReceived() => Volatile.Read(ref _server).WaitingCommands > 0;

    private ReceivePathState ReceivePath() => new(
        Volatile.Read(ref _server).WaitingCommands, WireBytesIn(), Volatile.Read(ref _arrivals)?.BytesAtLastPacket ?? 0);

    // What the device's wires have delivered, frames still arriving included (the receive DMA's count on a chip).
    private long WireBytesIn()
    {
        lock (_sessions)
        {
            long total = 0;
            foreach (WireSession session in _sessions)
                total += session.BytesIn;
            return total;
        }
    }

    private RpcServer CreateServer()
    {
        var arrivals = new ArrivalWatchSocket(Node.OpenSocket(WellKnownPorts.Rpc), WireBytesIn);
        Volatile.Write(ref _arrivals, arrivals);
        var socket = new AnswerWatchSocket(arrivals);
        Volatile.Write(ref _socket, socket);
        var server = new RpcServer(socket, _serverOptions);
        foreach (IRpcService service in _services)
            server.Register(service);
        return server;
    }

    /// <summary>
    /// When the node loses its last link (the TCP host went away, the cable was pulled) it closes its sockets, and the
    /// RPC server stops. The firmware does not: it re-opens its RPC port and serves whoever connects next.
    /// </summary>
    private void WatchForLinkLoss(RpcServer server) =>
        _ = server.Completion.ContinueWith(_ => RestartAfterLinkLossAsync(server), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();

    private async Task RestartAfterLinkLossAsync(RpcServer lost)
    {
        if (_stop.IsCancellationRequested)
            return;
        try
        {
            await DisposeServerAsync(lost).ConfigureAwait(false);
            RpcServer next;
            lock (_serverGate)
            {
                if (_stop.IsCancellationRequested || !ReferenceEquals(_server, lost))
                    return;
                next = CreateServer();
                _server = next;
                next.Start();
            }
            WatchForLinkLoss(next);
        }
        catch (ObjectDisposedException)
        {
            // The node is being disposed: the device is powering down.
        }
    }

    /// <summary>
    /// Disposes a server whose commands may have been cancelled mid-answer by the power-down: RpcServer.DisposeAsync
    /// rethrows such a command's OperationCanceledException after the server has stopped. The node's disposal that
    /// follows releases the socket.
    /// </summary>
    private async Task DisposeServerAsync(RpcServer server)
    {
        try
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A command's answer was cut off by the power-down: exactly what losing power does.
        }
        catch (DataLinkException ex)
        {
            // A command's answer could not be sent because the link went away; the server has stopped anyway.
            DeviceLog.AnswerLost(_logger, _deviceName, ex.Message);
        }
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
        RpcServer server;
        lock (_serverGate)
            server = _server;
        await DisposeServerAsync(server).ConfigureAwait(false);
        await Node.DisposeAsync().ConfigureAwait(false);

        // The node hands a wire back when it disposes that link, but not a link it had already dropped (a closed
        // read loop): this run lent the wires, so it returns every one before the power-down counts as done, and
        // the next power-on finds them free. Returning a session twice does nothing.
        WireSession[] sessions;
        lock (_sessions)
            sessions = [.. _sessions];
        foreach (WireSession session in sessions)
            await session.DisposeAsync().ConfigureAwait(false);
    }
}

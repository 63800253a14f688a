using System.Collections.Concurrent;
using Csa.DataLink;
using Csa.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Csa.Rpc;

/// <summary>
/// The device side of the RPC protocol over one data link socket: routes commands to the registered
/// <see cref="IRpcService"/>s by interface id, answers every command exactly once (repeats of a request id are
/// answered from a response cache, never executed again), holds at most
/// <see cref="RpcServerOptions.MaxConcurrentRequests"/> commands at once, runs each source's commands in arrival order
/// (<see cref="RpcExecution"/>), and publishes the services' events.
/// </summary>
/// <remarks>See docs/rpc-packets.md for the wire format and the exact rules for errors, repeats and overload.</remarks>
public sealed partial class RpcServer : IRpcEventSink, IAsyncDisposable
{
    private readonly IPacketSocket _socket;
    private readonly RpcServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<ushort, Registration> _services = new();
    private readonly SourceQueues _queues;
    private readonly ResponseCache _cache;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<Task, byte> _executing = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _readLoop;
    private int _disposed;

    /// <summary>Creates a server on <paramref name="socket"/>. It reads nothing until <see cref="Start"/>.</summary>
    /// <param name="socket">The socket bound to the node's RPC port; the server becomes its only reader.</param>
    /// <param name="options">Settings; null takes <see cref="RpcServerOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public RpcServer(IPacketSocket socket, RpcServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _options = options ?? RpcServerOptions.Default;
        _options.Validate();
        _socket = socket;
        _logger = _options.LoggerFactory.CreateLogger<RpcServer>();
        _cache = new ResponseCache(_options.ResponseCacheDepth, _options.MaxCachedClients, _options.DuplicateHistoryDepth, _options.DuplicateHistoryLifetime, _options.TimeProvider);
        _slots = new SemaphoreSlim(_options.MaxConcurrentRequests, _options.MaxConcurrentRequests);
        _queues = new SourceQueues(ex =>
        {
            if (ex is not OperationCanceledException || !_shutdown.IsCancellationRequested) // shutting down: expected
                RpcLog.CommandFailed(_logger, ex);
        });
    }

    /// <summary>The local endpoint the server listens on.</summary>
    public Endpoint LocalEndpoint => _socket.LocalEndpoint;

    /// <summary>
    /// Completes when the server stops: successfully after <see cref="DisposeAsync"/>, or faulted with a
    /// <see cref="DataLinkException"/> when the link under it was lost.
    /// </summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Commands taken (each holding one of the <see cref="RpcServerOptions.MaxConcurrentRequests"/> receive buffers)
    /// that have not started: each waits for an earlier command of its source (<see cref="RpcExecution.InArrivalOrder"/>).
    /// A device's background work (an erase ahead of the writes) checks it to yield to commands already received.
    /// </summary>
    public int WaitingCommands => _queues.Waiting;

    /// <summary>
    /// Adds a service whose commands run in arrival order per source (<see cref="RpcExecution.InArrivalOrder"/>) and
    /// sets its <see cref="IRpcService.EventSink"/> to this server. Allowed before and after <see cref="Start"/>; until
    /// a service is registered its interface is answered <see cref="RpcStatus.UnknownInterface"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A service with the same interface id is already registered.</exception>
    public void Register(IRpcService service) => Register(service, RpcExecution.InArrivalOrder);

    /// <summary>
    /// Adds a service whose commands run as <paramref name="execution"/> says and sets its
    /// <see cref="IRpcService.EventSink"/> to this server. Allowed before and after <see cref="Start"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A service with the same interface id is already registered.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="execution"/> is not defined.</exception>
    public void Register(IRpcService service, RpcExecution execution)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!Enum.IsDefined(execution))
            throw new ArgumentOutOfRangeException(nameof(execution), execution, "Unknown execution mode.");
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (!_services.TryAdd(service.InterfaceId, new Registration(service, execution)))
            throw new InvalidOperationException($"An RPC service for interface 0x{service.InterfaceId:X4} is already registered.");
        service.EventSink = this;
    }

    /// <summary>Removes the service of <paramref name="interfaceId"/>; commands already executing finish.</summary>
    /// <returns>False when no such service was registered.</returns>
    public bool Unregister(ushort interfaceId)
    {
        if (!_services.TryRemove(interfaceId, out Registration? registration))
            return false;
        registration.Service.EventSink = null;
        return true;
    }

    /// <summary>Starts reading and answering commands.</summary>
    /// <exception cref="InvalidOperationException">The server was started before.</exception>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var loop = new Task<Task>(ReadLoopAsync);
        if (Interlocked.CompareExchange(ref _readLoop, loop.Unwrap(), null) is not null)
            throw new InvalidOperationException("The RPC server is already started.");
        loop.Start(TaskScheduler.Default);
    }

    /// <summary>
    /// Stops reading, cancels the commands still executing and waits for them (commands still waiting for their turn
    /// are dropped unexecuted and unanswered), then disposes the socket if
    /// <see cref="RpcServerOptions.OwnsSocket"/> is set.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        // Shutdown cancels the read loop and every command still running; their cancellation is the expected
        // outcome here, not an error of the disposal, and must not skip the cleanup below.
        if (Volatile.Read(ref _readLoop) is { } loop)
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_executing.Keys).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _completion.TrySetResult();
        if (_options.OwnsSocket)
            await _socket.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record Registration(IRpcService Service, RpcExecution Execution);
}

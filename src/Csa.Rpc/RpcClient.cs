using System.Collections.Concurrent;
using Csa.DataLink;
using Csa.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Csa.Rpc;

/// <summary>
/// The host side of the RPC protocol over one data link socket: sends commands to devices and correlates
/// their answers, keeps as many requests in flight per device as it has receive buffers, resends lost requests
/// under the same id, and delivers events to subscribers. Thread-safe: issue many calls concurrently to keep
/// the window full, which is where throughput comes from.
/// </summary>
/// <remarks>
/// One read loop owns <see cref="IPacketSocket.Inbound"/> and dispatches every packet. When the link is lost
/// every pending and later call fails with <see cref="RpcLinkLostException"/>; recovering means a new socket
/// and a new client.
/// </remarks>
public sealed partial class RpcClient : IRpcInvoker, IAsyncDisposable
{
    private readonly IPacketSocket _socket;
    private readonly RpcClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<PendingKey, PendingCall> _pending = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _readLoop;
    private Exception? _terminalCause;
    private int _terminal; // 0 running, 1 link lost, 2 disposed
    private int _disposed;

    /// <summary>Creates a client on <paramref name="socket"/> and starts reading from it.</summary>
    /// <param name="socket">The socket; the client becomes the only reader of its <see cref="IPacketSocket.Inbound"/>.</param>
    /// <param name="options">Settings; null takes <see cref="RpcClientOptions.Default"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public RpcClient(IPacketSocket socket, RpcClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _options = options ?? RpcClientOptions.Default;
        _options.Validate();
        _socket = socket;
        _time = _options.TimeProvider;
        _logger = _options.LoggerFactory.CreateLogger<RpcClient>();
        _firstRequestId = _options.FirstRequestId ?? (ushort)Random.Shared.Next(0, 0x10000);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The local endpoint the client sends from and receives on.</summary>
    public Endpoint LocalEndpoint => _socket.LocalEndpoint;

    /// <summary>True once the link was lost or the client disposed; every call then fails.</summary>
    public bool IsClosed => Volatile.Read(ref _terminal) != 0;

    /// <summary>
    /// Stops the client: pending calls fail with <see cref="ObjectDisposedException"/>, subscriptions end, and the
    /// socket is disposed if <see cref="RpcClientOptions.OwnsSocket"/> is set.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Interlocked.CompareExchange(ref _terminal, 2, 0);
        await _shutdown.CancelAsync().ConfigureAwait(false);
        await _readLoop.ConfigureAwait(false);
        CompleteAllSubscriptions();
        if (_options.OwnsSocket)
            await _socket.DisposeAsync().ConfigureAwait(false);
    }

    // Called once by the read loop when the inbound stream ends for a reason other than disposal.
    private void OnLinkLost(Exception? cause)
    {
        if (Volatile.Read(ref _terminal) != 0)
            return;
        _terminalCause = cause; // published before the state by the interlocked write below
        if (Interlocked.CompareExchange(ref _terminal, 1, 0) != 0)
            return;
        RpcLog.LinkLost(_logger, cause);
        // Every wait of every call observes this token, so each pending call wakes up and throws.
        _shutdown.Cancel();
    }

    /// <summary>The exception a call throws after the client stopped; a new instance per caller so stack traces stay apart.</summary>
    private Exception CreateClosedException() => Volatile.Read(ref _terminal) switch
    {
        1 => new RpcLinkLostException(
            _terminalCause is null
                ? $"The RPC client's socket {_socket.LocalEndpoint} was closed."
                : $"The RPC client lost its link: {_terminalCause.Message}",
            _terminalCause),
        _ => new ObjectDisposedException(nameof(RpcClient)),
    };

    private void ThrowIfClosed()
    {
        if (IsClosed)
            throw CreateClosedException();
    }
}

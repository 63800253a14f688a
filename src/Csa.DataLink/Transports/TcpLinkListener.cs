using System.Net;
using System.Net.Sockets;
using Csa.DataLink.Transports.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.DataLink.Transports;

/// <summary>
/// Listens for TCP connections and hands each one out as a <see cref="TcpTransport"/>: the server side of
/// a TCP link (a virtual device serving a host, a gateway, a test fixture).
/// </summary>
public sealed class TcpLinkListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly TcpTransportOptions _options;
    private int _disposed;

    private TcpLinkListener(Socket socket, TcpTransportOptions options)
    {
        _socket = socket;
        _options = options;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Name = $"tcp-listener://{LocalEndPoint}";
    }

    /// <summary>The address and port actually bound (the chosen port when started with port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>A description for logs, e.g. <c>tcp-listener://127.0.0.1:5000</c>.</summary>
    public string Name { get; }

    /// <summary>Binds to <paramref name="endPoint"/> and starts listening.</summary>
    /// <param name="endPoint">The local address and port; port 0 picks a free port (see <see cref="LocalEndPoint"/>).</param>
    /// <param name="options">Settings applied to every accepted connection; <c>null</c> for the defaults.</param>
    /// <param name="backlog">How many pending connections the OS queues before refusing more.</param>
    /// <returns>The listening listener.</returns>
    /// <exception cref="TransportConnectException">The address cannot be bound (in use, not local, no permission).</exception>
    public static TcpLinkListener Start(IPEndPoint endPoint, TcpTransportOptions? options = null, int backlog = 16)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        options ??= TcpTransportOptions.Default;
        options.Validate();
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new TcpLinkListener(socket, options);
        }
        catch (SocketException error)
        {
            socket.Dispose();
            throw new TransportConnectException($"tcp-listener://{endPoint}", $"cannot listen ({error.SocketErrorCode}): {error.Message}", error);
        }
    }

    /// <summary>Waits for the next connection.</summary>
    /// <param name="cancellationToken">Stops waiting (the listener keeps listening).</param>
    /// <returns>The accepted connection, configured with the listener's options.</returns>
    /// <exception cref="TransportClosedException">The listener was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<TcpTransport> AcceptAsync(CancellationToken cancellationToken = default)
    {
        Socket accepted;
        try
        {
            accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is ObjectDisposedException or SocketException && Volatile.Read(ref _disposed) != 0)
        {
            throw new TransportClosedException(Name, "the listener was stopped", error);
        }
        catch (SocketException error)
        {
            throw new TransportClosedException(Name, $"accepting failed ({error.SocketErrorCode})", error);
        }

        try
        {
            TcpTransport.Configure(accepted, _options);
        }
        catch
        {
            accepted.Dispose();
            throw;
        }

        var transport = new TcpTransport(accepted, $"tcp://{accepted.RemoteEndPoint}", _options);
        TransportLog.Accepted(_options.Logger ?? NullLogger.Instance, Name, transport.Name);
        return transport;
    }

    /// <summary>Stops listening. Connections already accepted stay open; a pending <see cref="AcceptAsync"/>
    /// fails with <see cref="TransportClosedException"/>.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

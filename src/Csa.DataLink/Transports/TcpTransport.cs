using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Csa.DataLink.Transports.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.DataLink.Transports;

/// <summary>
/// A TCP connection as a link transport: to a virtual device, a TCP-to-serial bridge, or a device with an
/// Ethernet interface. Obtain one from <see cref="ConnectAsync(string, int, TcpTransportOptions?, CancellationToken)"/>
/// or from <see cref="TcpLinkListener.AcceptAsync(CancellationToken)"/>.
/// </summary>
/// <remarks>
/// When the peer closes or resets the connection, <see cref="Input"/> completes (the reader sees
/// <c>IsCompleted</c>, no exception) and every later flush of <see cref="Output"/> throws
/// <see cref="TransportClosedException"/>. Completing <see cref="Output"/> sends a FIN (half-close).
/// Disposing closes the socket and completes both pipes.
/// </remarks>
public sealed class TcpTransport : ILinkTransport
{
    private readonly DuplexPumps _pumps;

    internal TcpTransport(Socket socket, string name, TcpTransportOptions options)
    {
        Name = name;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        _pumps = new DuplexPumps(name, new SocketIo(socket), options.Logger ?? NullLogger.Instance);
        _pumps.Start(receiveOnDedicatedThread: false);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The local address and port of the connection.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The peer's address and port.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <inheritdoc />
    public PipeReader Input => _pumps.Input;

    /// <inheritdoc />
    public PipeWriter Output => _pumps.Output;

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/>, trying each address the host resolves to
    /// in turn.
    /// </summary>
    /// <param name="host">A host name or an IPv4/IPv6 address literal.</param>
    /// <param name="port">The TCP port, 1..65535.</param>
    /// <param name="options">Socket settings and the connect timeout; <c>null</c> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the attempt.</param>
    /// <returns>The connected transport.</returns>
    /// <exception cref="ArgumentException"><paramref name="host"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 1..65535, or an option is invalid.</exception>
    /// <exception cref="TransportConnectTimeoutException">No connection within <see cref="TcpTransportOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="TransportConnectException">The host cannot be resolved or every address refused the connection.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<TcpTransport> ConnectAsync(string host, int port, TcpTransportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        if (port is < IPEndPoint.MinPort + 1 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "The TCP port must be 1..65535.");
        }

        options ??= TcpTransportOptions.Default;
        options.Validate();
        string target = FormatTarget(host, port);

        using var timeout = options.ConnectTimeout == Timeout.InfiniteTimeSpan
            ? new CancellationTokenSource()
            : new CancellationTokenSource(options.ConnectTimeout, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            IPAddress[] addresses = await ResolveAsync(host, target, linked.Token).ConfigureAwait(false);
            Exception? lastError = null;
            foreach (IPAddress address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, port), linked.Token).ConfigureAwait(false);
                    Configure(socket, options);
                    return new TcpTransport(socket, target, options);
                }
                catch (SocketException error)
                {
                    socket.Dispose();
                    lastError = error;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }

            throw new TransportConnectException(target, $"connection failed ({(lastError as SocketException)?.SocketErrorCode.ToString() ?? "no address"}): {lastError?.Message}", lastError);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TransportConnectTimeoutException(target, options.ConnectTimeout);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _pumps.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => Name;

    internal static void Configure(Socket socket, TcpTransportOptions options)
    {
        socket.NoDelay = options.NoDelay;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, options.KeepAlive);
        if (options.KeepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Ceiling(options.KeepAliveTime.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)Math.Ceiling(options.KeepAliveInterval.TotalSeconds));
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, options.KeepAliveRetryCount);
        }
    }

    internal static string FormatTarget(string host, int port)
        => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"tcp://[{host}]:{port}" : $"tcp://{host}:{port}";

    private static async Task<IPAddress[]> ResolveAsync(string host, string target, CancellationToken cancellationToken)
    {
        string literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        if (IPAddress.TryParse(literal, out IPAddress? address))
        {
            return [address];
        }

        try
        {
            IPAddress[] addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return addresses.Length > 0
                ? addresses
                : throw new TransportConnectException(target, $"the host name '{host}' resolves to no address");
        }
        catch (SocketException error)
        {
            throw new TransportConnectException(target, $"cannot resolve the host name '{host}' ({error.SocketErrorCode})", error);
        }
    }
}

using System.Net;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;

namespace Csa.Simulator.Hosting;

/// <summary>
/// A virtual device reachable over TCP, as a device behind a serial-to-Ethernet converter: one host at a time is
/// plugged into its upstream port; when that host disconnects, the next waiting connection is accepted. The device
/// keeps running (and keeps its state) between connections.
/// </summary>
public sealed class TcpDeviceServer : IAsyncDisposable
{
    private readonly VirtualDevice _device;
    private readonly TcpLinkListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _connections;
    private int _disposed;

    private TcpDeviceServer(VirtualDevice device, TcpLinkListener listener)
    {
        _device = device;
        _listener = listener;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The address hosts connect to (with the port the system chose when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint => _listener.LocalEndPoint;

    /// <summary>The link URI for <see cref="TransportFactory.ConnectAsync(string, CancellationToken)"/>.</summary>
    public string Uri => $"tcp://{LocalEndPoint}";

    /// <summary>The device served.</summary>
    public VirtualDevice Device => _device;

    /// <summary>How many host connections were accepted so far.</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _connections);

    /// <summary>
    /// Starts listening on <paramref name="endPoint"/> (port 0 picks a free port) and serves
    /// <paramref name="device"/>, which must have no upstream wire (the connection becomes it). The device is not
    /// powered on here; power it whenever you like, the connection works across power cycles.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device has an upstream wire already.</exception>
    /// <exception cref="Csa.DataLink.TransportConnectException">The endpoint cannot be listened on (in use, not local, no permission).</exception>
    public static TcpDeviceServer Start(VirtualDevice device, IPEndPoint endPoint, TcpTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(endPoint);
        if (device.HasUpstream)
            throw new InvalidOperationException($"{device.Name} has an upstream wire already; a TCP server needs the port free.");
        return new TcpDeviceServer(device, TcpLinkListener.Start(endPoint, options));
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpTransport connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // A connection that failed during its handshake; the next one may be fine.
                continue;
            }
            try
            {
                _device.AttachUpstream(connection);
            }
            catch (ObjectDisposedException)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                return;
            }
            Interlocked.Increment(ref _connections);
            try
            {
                await _device.UpstreamEnded.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            await _device.DetachEndedUpstreamAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops listening and unplugs the current connection; the device itself stays (dispose it yourself).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        try
        {
            await _device.DetachUpstreamAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The device went first; its wires went with it.
        }
        _stop.Dispose();
    }
}

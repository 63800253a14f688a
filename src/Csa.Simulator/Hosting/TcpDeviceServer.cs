using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;

namespace Csa.Simulator.Hosting;

/// <summary>
/// A virtual device reachable over TCP, as a device behind a serial-to-Ethernet converter: one host at a time is
/// plugged into its upstream port. The device keeps running (and keeps its state) between connections.
/// </summary>
/// <remarks>
/// <para>
/// Which host has the port (docs/transports.md section 2): a connection that arrives while no host is plugged in is
/// plugged in at once. One that arrives while another is plugged in waits until it sends its first byte, and then
/// <b>takes over</b>: the connection plugged in so far is closed (its host sees the link end) and the new one gets
/// the device, its first bytes included. A host that crashed with its socket left open, or a forgotten idle
/// connection, therefore never locks the device away from the host that needs it, however long TCP keep-alive takes
/// to notice; and a connection that never speaks (a port scan, a health check) never interrupts a host at work.
/// </para>
/// <para>
/// Every connection is accepted at once, so silent ones never fill the listen backlog; at most
/// <see cref="MaxWaitingConnections"/> wait, and a newer one closes the oldest waiting one.
/// </para>
/// </remarks>
public sealed class TcpDeviceServer : IAsyncDisposable
{
    /// <summary>How many silent connections wait at most; one more closes the oldest of them.</summary>
    public const int MaxWaitingConnections = 32;

    private readonly VirtualDevice _device;
    private readonly TcpLinkListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _switch = new(1, 1);
    private readonly LinkedList<TcpTransport> _waiting = new();
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private int _accepted;
    private int _takeOvers;
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

    /// <summary>How many host connections were plugged into the device so far (take-overs included).</summary>
    public int ConnectionsAccepted => Volatile.Read(ref _accepted);

    /// <summary>How many times a connection that spoke took the device over from the one plugged in.</summary>
    public int TakeOvers => Volatile.Read(ref _takeOvers);

    /// <summary>How many connections are accepted but wait for their first byte (another host is plugged in).</summary>
    public int ConnectionsWaiting
    {
        get
        {
            lock (_waiting)
                return _waiting.Count;
        }
    }

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

            Task serving = ServeAsync(connection);
            lock (_connections)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(serving);
            }
        }
    }

    /// <summary>Plugs <paramref name="connection"/> in (at once, or when it speaks), then unplugs it when its host goes.</summary>
    private async Task ServeAsync(TcpTransport connection)
    {
        bool owned = false; // once plugged in, the device owns (and disposes) the connection
        try
        {
            Task? ended = await PlugInIfFreeAsync(connection).ConfigureAwait(false);
            if (ended is null)
            {
                if (!await WaitForFirstByteAsync(connection).ConfigureAwait(false))
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    return;
                }
                ended = await TakeOverAsync(connection).ConfigureAwait(false);
            }
            owned = true;

            await ended.WaitAsync(_stop.Token).ConfigureAwait(false);
            await _switch.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                // Only if that far end went: a newer connection that took over is never unplugged here.
                await _device.DetachEndedUpstreamAsync().ConfigureAwait(false);
            }
            finally
            {
                _switch.Release();
            }
        }
        catch (Exception e) when ((e is OperationCanceledException && _stop.IsCancellationRequested) || e is ObjectDisposedException)
        {
            // Stopping, or the device was disposed before the server: nothing left to serve.
            if (!owned)
                await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Plugs <paramref name="connection"/> in when no host is; returns its end, or null when another host has the port.</summary>
    private async Task<Task?> PlugInIfFreeAsync(TcpTransport connection)
    {
        await _switch.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            await _device.DetachEndedUpstreamAsync().ConfigureAwait(false);
            if (_device.HasUpstream)
                return null;
            _device.AttachUpstream(connection);
            Interlocked.Increment(ref _accepted);
            return _device.UpstreamEnded;
        }
        finally
        {
            _switch.Release();
        }
    }

    /// <summary>
    /// Waits until <paramref name="connection"/> sends something (true; the bytes stay in its input for the device)
    /// or closes, or is closed as the oldest of too many waiting (false).
    /// </summary>
    private async Task<bool> WaitForFirstByteAsync(TcpTransport connection)
    {
        LinkedListNode<TcpTransport> node;
        TcpTransport? evicted = null;
        lock (_waiting)
        {
            node = _waiting.AddLast(connection);
            if (_waiting.Count > MaxWaitingConnections)
            {
                evicted = _waiting.First!.Value;
                _waiting.RemoveFirst();
            }
        }
        if (evicted is not null)
            evicted.Input.CancelPendingRead(); // its own ServeAsync sees the cancelled read and closes it

        try
        {
            while (true)
            {
                ReadResult result = await connection.Input.ReadAsync(_stop.Token).ConfigureAwait(false);
                if (result.IsCanceled)
                    return false;
                if (!result.Buffer.IsEmpty)
                {
                    // Not consumed: the device reads these bytes as the start of the host's first frame.
                    connection.Input.AdvanceTo(result.Buffer.Start);
                    return true;
                }
                connection.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    return false;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return false; // the connection failed while waiting
        }
        finally
        {
            lock (_waiting)
            {
                if (node.List is not null)
                    _waiting.Remove(node);
            }
        }
    }

    /// <summary>Closes the connection plugged in (if any) and plugs <paramref name="connection"/> in; returns its end.</summary>
    private async Task<Task> TakeOverAsync(TcpTransport connection)
    {
        await _switch.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            bool replacing = _device.HasUpstream;
            await _device.DetachUpstreamAsync().ConfigureAwait(false);
            _device.AttachUpstream(connection);
            Interlocked.Increment(ref _accepted);
            if (replacing)
                Interlocked.Increment(ref _takeOvers);
            return _device.UpstreamEnded;
        }
        finally
        {
            _switch.Release();
        }
    }

    /// <summary>Stops listening and unplugs the current connection and the waiting ones; the device itself stays (dispose it yourself).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        Task[] connections;
        lock (_connections)
            connections = [.. _connections];
        await Task.WhenAll(connections).ConfigureAwait(false);
        try
        {
            await _device.DetachUpstreamAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The device went first; its wires went with it.
        }
        _stop.Dispose();
        _switch.Dispose();
    }
}

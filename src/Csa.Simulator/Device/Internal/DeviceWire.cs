using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// One cable plugged into the device (a UART to the previous or next device, a TCP connection, a pty). The
/// cable belongs to the device, not to the firmware that happens to run: it stays plugged in across resets and
/// power cycles. While the device is powered it lends the cable to the data link node as a <see cref="WireSession"/>,
/// a transport the node may dispose without unplugging anything; while it is off, what arrives is lost, as on a
/// UART whose receiver has no power.
/// </summary>
internal sealed class DeviceWire : IAsyncDisposable
{
    private static readonly PipeOptions SessionPipeOptions = new(
        pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, useSynchronizationContext: false);

    private readonly object _gate = new();
    private readonly ILinkTransport _cable;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receivePump;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WireSession? _session;
    private long _bytesDiscarded;
    private bool _cableEnded;
    private int _disposed;

    public DeviceWire(ILinkTransport cable)
    {
        _cable = cable;
        _receivePump = Task.Run(ReceivePumpAsync);
    }

    /// <summary>True for a cable that goes with the device's supply (<see cref="ISupplyPoweredCable"/>).</summary>
    public bool GoesWithSupply => _cable is ISupplyPoweredCable;

    /// <summary>The cable's name, for logs and link names.</summary>
    public string Name => _cable.Name;

    /// <summary>Bytes that arrived while nothing was powered to receive them.</summary>
    public long BytesDiscarded => Interlocked.Read(ref _bytesDiscarded);

    /// <summary>True once the far end closed the cable (a TCP peer went away, a pty was closed).</summary>
    public bool CableEnded
    {
        get
        {
            lock (_gate)
                return _cableEnded;
        }
    }

    /// <summary>Completes when the far end closed the cable or the wire was unplugged.</summary>
    public Task Ended => _ended.Task;

    /// <summary>
    /// Completes when the bytes written to the cable have left the device: at once for a UART, a socket or a pty (the
    /// bytes are on the line), when the master has read the outbound queue for a bus slave (the queue is RAM, which a
    /// reset loses).
    /// </summary>
    public Task TransmittedAsync(CancellationToken cancellationToken) =>
        _cable is ITransmitCompletion completion ? completion.WaitTransmittedAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Lends the cable to a freshly powered node.</summary>
    /// <exception cref="InvalidOperationException">A session is still open: the device was not powered down.</exception>
    public WireSession OpenSession()
    {
        var session = new WireSession(this, _cable.Output, new Pipe(SessionPipeOptions));
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (_session is { IsClosed: false })
                throw new InvalidOperationException($"The wire {Name} is already lent to a running node.");
            _session = session;
            // A cable that ended before the node came up reads as ended at once: the node sees its link close.
            if (_cableEnded)
                session.EndInbound();
        }
        return session;
    }

    internal void Release(WireSession session)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_session, session))
                _session = null;
        }
        session.EndInbound();
    }

    private async Task ReceivePumpAsync()
    {
        PipeReader input = _cable.Input;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    WireSession? session;
                    lock (_gate)
                        session = _session;
                    if (session is null || !await session.DeliverAsync(buffer).ConfigureAwait(false))
                        Interlocked.Add(ref _bytesDiscarded, buffer.Length);
                }
                input.AdvanceTo(buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                    break;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The device is being disposed.
        }
        catch (Exception)
        {
            // A broken cable reads as an ended one: the node's link closes, the device stays.
        }
        WireSession? current;
        lock (_gate)
        {
            _cableEnded = true;
            current = _session;
        }
        current?.EndInbound();
        _ended.TrySetResult();
    }

    /// <summary>Unplugs the cable: stops the pump and disposes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        WireSession? session;
        lock (_gate)
        {
            if (_disposed != 0)
                return;
            _disposed = 1;
            session = _session;
            _session = null;
        }
        // A node still running on this wire stops transmitting before the cable goes away under it.
        session?.Silence();
        session?.EndInbound();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            _cable.Input.CancelPendingRead();
        }
        catch (Exception)
        {
            // The cable tore its pipes down already.
        }
        await _receivePump.ConfigureAwait(false);
        await _cable.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}

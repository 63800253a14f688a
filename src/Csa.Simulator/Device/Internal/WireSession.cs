using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The cable as one powered run of the firmware sees it: a transport the node owns and disposes when the device
/// powers down, without unplugging the cable. Inbound bytes come through a pipe the wire fills; outbound bytes go
/// straight to the cable through a writer that refuses to complete it and goes dead once the session ends
/// (a device without power transmits nothing).
/// </summary>
internal sealed class WireSession : ILinkTransport
{
    private readonly object _gate = new();
    private readonly DeviceWire _wire;
    private readonly Pipe _inbound;
    private readonly SessionWriter _output;
    private bool _inboundEnded;
    private int _closed;
    private long _bytesIn;

    public WireSession(DeviceWire wire, PipeWriter cableOutput, Pipe inbound)
    {
        _wire = wire;
        _inbound = inbound;
        _output = new SessionWriter(cableOutput);
        Name = wire.Name;
    }

    public string Name { get; }

    public PipeReader Input => _inbound.Reader;

    public PipeWriter Output => _output;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Completes when what the node wrote has left the device (see <see cref="DeviceWire.TransmittedAsync"/>).</summary>
    public Task TransmittedAsync(CancellationToken cancellationToken) => _wire.TransmittedAsync(cancellationToken);

    /// <summary>
    /// Bytes the wire has delivered to the device so far, as they arrive (a UART receive DMA's count): unlike the data
    /// link's counters, this includes the part of a frame still arriving.
    /// </summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Stops transmitting at once: what the firmware writes from now on never reaches the cable.</summary>
    public void Silence() => _output.Kill();

    /// <summary>Copies bytes from the cable to the node. False when the session ended and the bytes were lost.</summary>
    internal async ValueTask<bool> DeliverAsync(ReadOnlySequence<byte> bytes)
    {
        ValueTask<FlushResult> flush;
        lock (_gate)
        {
            if (_inboundEnded)
                return false;
            foreach (ReadOnlyMemory<byte> segment in bytes)
                _inbound.Writer.Write(segment.Span);
            Interlocked.Add(ref _bytesIn, bytes.Length);
            flush = _inbound.Writer.FlushAsync();
        }
        FlushResult result = await flush.ConfigureAwait(false);
        return !result.IsCompleted && !result.IsCanceled;
    }

    /// <summary>Ends the inbound stream: the node reads end of stream and closes its link.</summary>
    internal void EndInbound()
    {
        lock (_gate)
        {
            if (_inboundEnded)
                return;
            _inboundEnded = true;
            _inbound.Writer.CancelPendingFlush();
            _inbound.Writer.Complete();
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _output.Kill();
            _wire.Release(this);
            _inbound.Reader.Complete();
        }
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Name;

    /// <summary>
    /// Writes through to the cable's writer. Completing it only detaches it; after <see cref="Kill"/> nothing is
    /// committed to the cable any more (bytes already handed out and not yet advanced are dropped, like a frame cut
    /// off mid-transmission).
    /// </summary>
    private sealed class SessionWriter(PipeWriter cable) : PipeWriter
    {
        private int _dead;

        private bool IsDead => Volatile.Read(ref _dead) != 0;

        public void Kill()
        {
            if (Interlocked.Exchange(ref _dead, 1) != 0)
                return;
            try
            {
                cable.CancelPendingFlush();
            }
            catch (Exception)
            {
                // The cable is gone; nothing is pending on it.
            }
        }

        public override void Advance(int bytes)
        {
            if (!IsDead)
                cable.Advance(bytes);
        }

        public override void CancelPendingFlush()
        {
            if (!IsDead)
                cable.CancelPendingFlush();
        }

        public override void Complete(Exception? exception = null) => Kill();

        public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (IsDead)
                return new FlushResult(isCanceled: false, isCompleted: true);
            FlushResult result = await cable.FlushAsync(cancellationToken).ConfigureAwait(false);
            // A flush the power-down cancelled reads as the end of the line, not as a cancellation the caller asked for.
            return IsDead ? new FlushResult(isCanceled: false, isCompleted: true) : result;
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) =>
            IsDead ? new byte[Math.Max(sizeHint, 256)] : cable.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) =>
            IsDead ? new byte[Math.Max(sizeHint, 256)] : cable.GetSpan(sizeHint);
    }
}

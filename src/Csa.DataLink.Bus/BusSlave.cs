using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink.Bus.Internal;

namespace Csa.DataLink.Bus;

/// <summary>
/// The slave side of the on-bus framing (docs/transports.md section 7) for a device on an I2C or SPI bus: a bounded
/// receive buffer that the master's stream bytes go into, a bounded outbound queue the device's data link writes its
/// frames into, and the header every read and SPI transfer starts with. The device plugs <see cref="Transport"/> in as
/// its link; the bus (an emulated one, or a real peripheral's interrupt handler in a port) calls
/// <see cref="TryI2cWrite"/>, <see cref="TryI2cRead"/> and <see cref="SpiTransfer"/> for each transaction. The C
/// firmware implements the same rules.
/// </summary>
/// <remarks>
/// A slave answers only while powered (<see cref="PowerOn"/>): otherwise it does not acknowledge its I2C address and
/// does not drive MISO. Powering off empties both buffers, as losing RAM does; the first header after power-on carries
/// <see cref="SlaveFlags.Reset"/>. Thread-safe: transactions are serialised by the slave.
/// </remarks>
public sealed class BusSlave
{
    private readonly object _gate = new();
    private readonly BusSlaveOptions _options;
    private readonly Pipe _rx;
    private readonly Pipe _tx;
    private readonly CountingPipeReader _deviceInput;
    private readonly NotifyingPipeWriter _deviceOutput;
    private long _received;
    private bool _powered;
    private bool _resetPending;
    private bool _overflowPending;
    private bool _ready;
    private bool _disposed;
    private List<TaskCompletionSource> _drainWaiters = [];

    /// <summary>Creates a slave, powered off.</summary>
    /// <param name="name">A name for logs and the device's link name, e.g. <c>i2c-slave:0x42</c>.</param>
    /// <param name="options">Buffer sizes and SPI mode; null takes the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public BusSlave(string name, BusSlaveOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        options ??= BusSlaveOptions.Default;
        options.Validate();
        _options = options;
        Name = name;
        _rx = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        _tx = new Pipe(new PipeOptions(pauseWriterThreshold: options.TransmitQueueSize, resumeWriterThreshold: options.TransmitQueueSize / 2, useSynchronizationContext: false));
        _deviceInput = new CountingPipeReader(_rx.Reader);
        _deviceOutput = new NotifyingPipeWriter(_tx.Writer, name, OnDeviceFlushed);
        Transport = new DeviceEnd(this);
    }

    /// <summary>The slave's name.</summary>
    public string Name { get; }

    /// <summary>The settings.</summary>
    public BusSlaveOptions Options => _options;

    /// <summary>
    /// The device's end: the byte stream its data link reads and writes, as it would a UART's. The device owns it;
    /// disposing it unplugs the slave from the bus for good (it never answers again).
    /// </summary>
    public ILinkTransport Transport { get; }

    /// <summary>What the slave has seen.</summary>
    public BusSlaveCounters Counters { get; } = new();

    /// <summary>True while the slave answers on the bus.</summary>
    public bool IsPowered
    {
        get
        {
            lock (_gate)
                return _powered;
        }
    }

    /// <summary>True while the slave drives its ready line active: powered with bytes queued for the master.</summary>
    public bool IsReadyAsserted
    {
        get
        {
            lock (_gate)
                return _ready;
        }
    }

    /// <summary>Bytes queued for the master now.</summary>
    public int QueuedBytes
    {
        get
        {
            lock (_gate)
                return QueuedLocked();
        }
    }

    /// <summary>Stream bytes the slave can take from the master now.</summary>
    public int FreeBytes
    {
        get
        {
            lock (_gate)
                return FreeLocked();
        }
    }

    /// <summary>
    /// Completes when the outbound queue is empty: the master has read everything the device queued (or the slave lost
    /// power). Firmware waits for this before it resets, as it waits for a UART's transmission-complete flag, so the
    /// answer to a reset command is not lost with the RAM.
    /// </summary>
    public Task WaitUntilSentAsync(CancellationToken cancellationToken = default)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_powered || _disposed || QueuedLocked() == 0)
                return Task.CompletedTask;
            _drainWaiters.Add(waiter);
        }
        return waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Raised (outside the slave's lock) when <see cref="IsReadyAsserted"/> changes.</summary>
    public event EventHandler? ReadyChanged;

    /// <summary>The device's bus interface starts (power-on or reset done): the slave answers, its next header carries <see cref="SlaveFlags.Reset"/>.</summary>
    public void PowerOn()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_powered)
            {
                _powered = true;
                _resetPending = true;
                _overflowPending = false;
            }
        }
        UpdateReady();
    }

    /// <summary>The device loses power or resets: the slave stops answering and both buffers are emptied (RAM is lost).</summary>
    public void PowerOff()
    {
        lock (_gate)
        {
            _powered = false;
            _resetPending = false;
            _overflowPending = false;
            DropQueuedLocked();
        }
        UpdateReady();
    }

    /// <summary>
    /// An I2C write transaction addressed to the slave: every byte is a stream byte. The slave takes as many as it has
    /// room for and discards the rest (<see cref="SlaveFlags.Overflow"/>); it never refuses a data byte.
    /// </summary>
    /// <param name="data">The bytes the master wrote (all of them acknowledged).</param>
    /// <returns>False when the slave does not acknowledge its address (not powered): nothing was taken.</returns>
    public bool TryI2cWrite(ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (!_powered)
            {
                Counters.Nak();
                return false;
            }
            Counters.Transaction();
            AcceptLocked(data, FreeLocked());
        }
        return true;
    }

    /// <summary>
    /// An I2C read transaction addressed to the slave: it sends its header, then up to <c>available</c> queued bytes,
    /// then filler for as long as the master clocks. It removes from its queue exactly the offered bytes the master
    /// clocked.
    /// </summary>
    /// <param name="destination">As many bytes as the master clocks (it acknowledges all but the last).</param>
    /// <returns>False when the slave does not acknowledge its address (not powered): nothing was sent.</returns>
    public bool TryI2cRead(Span<byte> destination)
    {
        lock (_gate)
        {
            if (!_powered)
            {
                Counters.Nak();
                return false;
            }
            Counters.Transaction();
            SendLocked(destination);
        }
        UpdateReady();
        return true;
    }

    /// <summary>
    /// An SPI transaction (chip select low for <paramref name="mosi"/>.Length bytes): the slave shifts out its header
    /// and offered bytes while it shifts in the master's header and stream bytes. Powered off, it does not drive MISO
    /// (the master reads the line's idle level, <see cref="BusFraming.IdleLine"/>) and ignores MOSI.
    /// </summary>
    /// <param name="mosi">What the master sent.</param>
    /// <param name="miso">What the slave sends, as long as <paramref name="mosi"/>.</param>
    /// <exception cref="ArgumentException">The two are not the same length.</exception>
    public void SpiTransfer(ReadOnlySpan<byte> mosi, Span<byte> miso)
    {
        if (mosi.Length != miso.Length)
            throw new ArgumentException("An SPI transfer shifts as many bytes in as out.", nameof(miso));
        lock (_gate)
        {
            if (!_powered)
            {
                Counters.Nak();
                miso.Fill(BusFraming.IdleLine);
                return;
            }
            Counters.Transaction();
            // The header was loaded before chip select fell, so its free space does not count this transfer's bytes.
            int free = FreeLocked();
            SendLocked(miso);
            if (MasterHeader.TryParse(mosi, out MasterHeader header))
            {
                int clocked = mosi.Length - BusFraming.HeaderLength;
                if (clocked < header.DataLength)
                    Counters.ShortTransaction();
                AcceptLocked(mosi.Slice(BusFraming.HeaderLength, Math.Min(header.WriteLength, clocked)), free);
            }
            else if (mosi.Length > 0)
            {
                Counters.InvalidMasterHeader();
            }
        }
        UpdateReady();
    }

    /// <summary>Builds the header as of now and what it offers; the caller must advance the outbound queue afterwards.</summary>
    private void SendLocked(Span<byte> destination)
    {
        bool read = _tx.Reader.TryRead(out ReadResult result);
        ReadOnlySequence<byte> queued = read ? result.Buffer : ReadOnlySequence<byte>.Empty;
        int offered = (int)Math.Min(queued.Length, _options.MaxOffer);
        SlaveFlags flags = (_resetPending ? SlaveFlags.Reset : 0) | (_overflowPending ? SlaveFlags.Overflow : 0) | (queued.Length > offered ? SlaveFlags.More : 0);
        Span<byte> header = stackalloc byte[BusFraming.HeaderLength];
        new SlaveHeader(flags, (ushort)offered, (ushort)Math.Min(FreeLocked(), BusFraming.MaxFieldValue)).Write(header);
        header[..Math.Min(header.Length, destination.Length)].CopyTo(destination);
        int sent = 0;
        if (destination.Length >= BusFraming.HeaderLength)
        {
            // The flags were delivered with the whole header.
            _resetPending = false;
            _overflowPending = false;
            Span<byte> data = destination[BusFraming.HeaderLength..];
            sent = Math.Min(offered, data.Length);
            queued.Slice(0, sent).CopyTo(data);
            data[sent..].Fill(BusFraming.Filler);
        }
        if (read)
            _tx.Reader.AdvanceTo(queued.GetPosition(sent));
        Counters.Sent(sent);
    }

    private void AcceptLocked(ReadOnlySpan<byte> data, int free)
    {
        int take = Math.Min(data.Length, Math.Max(0, free));
        if (take > 0)
        {
            _rx.Writer.Write(data[..take]);
            _received += take;
            _ = _rx.Writer.FlushAsync(); // never waits: the receive pipe has no pause threshold, the free space bounds it
            Counters.Received(take);
        }
        if (take < data.Length)
        {
            _overflowPending = true;
            Counters.Overflowed(data.Length - take);
        }
    }

    private int FreeLocked() => (int)Math.Max(0, _options.ReceiveBufferSize - (_received - _deviceInput.Consumed));

    private int QueuedLocked()
    {
        if (_disposed || !_tx.Reader.TryRead(out ReadResult result))
            return 0;
        long length = result.Buffer.Length;
        _tx.Reader.AdvanceTo(result.Buffer.Start);
        return (int)length;
    }

    private void DropQueuedLocked()
    {
        if (!_disposed && _tx.Reader.TryRead(out ReadResult result))
            _tx.Reader.AdvanceTo(result.Buffer.End);
    }

    private void OnDeviceFlushed() => UpdateReady();

    private void UpdateReady()
    {
        bool changed;
        List<TaskCompletionSource>? drained = null;
        lock (_gate)
        {
            int queued = QueuedLocked();
            bool ready = _powered && !_disposed && queued > 0;
            changed = ready != _ready;
            _ready = ready;
            if (_drainWaiters.Count > 0 && (queued == 0 || !_powered || _disposed))
            {
                drained = _drainWaiters;
                _drainWaiters = [];
            }
        }
        drained?.ForEach(w => w.TrySetResult());
        if (changed)
            ReadyChanged?.Invoke(this, EventArgs.Empty);
    }

    private void Unplug()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _powered = false;
            DropQueuedLocked();
            _rx.Writer.Complete();
            _tx.Reader.Complete();
        }
        _deviceOutput.Close("the bus slave was unplugged");
        UpdateReady();
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>The device's end of the slave.</summary>
    private sealed class DeviceEnd(BusSlave slave) : ILinkTransport
    {
        public string Name => slave.Name;

        public PipeReader Input => slave._deviceInput;

        public PipeWriter Output => slave._deviceOutput;

        public ValueTask DisposeAsync()
        {
            slave.Unplug();
            slave._deviceInput.Complete();
            return ValueTask.CompletedTask;
        }

        public override string ToString() => Name;
    }
}

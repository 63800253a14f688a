using System.Device.Gpio;
using System.Device.Spi;

namespace Csa.DataLink.Bus.Emulation;

/// <summary>
/// An SPI bus in this process: slaves (<see cref="BusSlave"/>) behind chip-select lines, and master handles that are
/// <see cref="SpiDevice"/>s like the ones <see cref="SpiDevice.Create"/> returns, so <see cref="BusLinkTransport"/> runs
/// unchanged against it. A transfer of <c>n</c> bytes takes <c>8 n / ClockFrequency</c> (the device's clock) plus
/// <see cref="EmulatedSpiBusOptions.ChipSelectOverhead"/> and <see cref="EmulatedSpiBusOptions.TransactionLatency"/>.
/// A chip select with no slave, or a slave without power, leaves MISO to its pull-up: the master reads 0xFF. A master
/// in another SPI mode than the slave's (clock phase or polarity) samples every byte a bit off: both sides read garbage.
/// </summary>
public sealed class EmulatedSpiBus : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<int, (BusSlave Slave, FaultQueue Faults)> _slaves = [];
    private readonly BusClock _clock;
    private bool _disposed;

    /// <summary>Creates a bus with no slaves.</summary>
    /// <param name="options">Overheads; null takes the defaults.</param>
    public EmulatedSpiBus(EmulatedSpiBusOptions? options = null)
    {
        options ??= new EmulatedSpiBusOptions();
        options.Validate();
        Options = options;
        _clock = new BusClock(options.TimeProvider);
    }

    /// <summary>The settings.</summary>
    public EmulatedSpiBusOptions Options { get; }

    /// <summary>The board's ready lines (wire a slave to one with <see cref="AttachSlave"/>).</summary>
    public EmulatedReadyLines ReadyLines { get; } = new();

    /// <summary>Total time the bus carried transactions.</summary>
    public TimeSpan BusyTime => _clock.BusyTime;

    /// <summary>Transactions carried.</summary>
    public long Transactions => _clock.Transactions;

    /// <summary>The time one transfer of <paramref name="bytes"/> bytes takes at <paramref name="clockRate"/> with <paramref name="chipSelectOverhead"/>.</summary>
    public static TimeSpan TransactionTime(int bytes, int clockRate, TimeSpan chipSelectOverhead) =>
        chipSelectOverhead + TimeSpan.FromSeconds(8.0 * bytes / clockRate);

    /// <summary>Attaches a slave (powered off) behind chip select <paramref name="chipSelect"/>.</summary>
    /// <param name="chipSelect">The chip-select line, 0..255.</param>
    /// <param name="options">The slave's buffers and SPI mode; null takes the defaults.</param>
    /// <param name="readyPin">The ready line its ready output is wired to, or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The chip select is out of range.</exception>
    /// <exception cref="InvalidOperationException">The chip select is taken.</exception>
    public BusSlave AttachSlave(int chipSelect, BusSlaveOptions? options = null, int? readyPin = null)
    {
        if (chipSelect is < 0 or > 255)
            throw new ArgumentOutOfRangeException(nameof(chipSelect), chipSelect, "Chip-select lines are 0..255.");
        var slave = new BusSlave($"spi-slave:cs{chipSelect}", options);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_slaves.TryAdd(chipSelect, (slave, new FaultQueue())))
                throw new InvalidOperationException($"A slave is attached behind chip select {chipSelect} already.");
        }
        if (readyPin is int pin)
            ReadyLines.Wire(slave, pin);
        return slave;
    }

    /// <summary>The slave behind <paramref name="chipSelect"/>, or null.</summary>
    public BusSlave? SlaveAt(int chipSelect)
    {
        lock (_gate)
            return _slaves.TryGetValue(chipSelect, out var entry) ? entry.Slave : null;
    }

    /// <summary>A master handle with <paramref name="settings"/> (its chip select, mode and clock).</summary>
    /// <exception cref="ArgumentException">The clock is not positive or the data bits are not 8.</exception>
    public SpiDevice CreateDevice(SpiConnectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.ClockFrequency <= 0)
            throw new ArgumentException($"The SPI clock must be positive, not {settings.ClockFrequency} Hz.", nameof(settings));
        if (settings.DataBitLength != 8)
            throw new ArgumentException($"The on-bus framing uses 8-bit words, not {settings.DataBitLength}.", nameof(settings));
        lock (_gate)
            ObjectDisposedException.ThrowIf(_disposed, this);
        return new Device(this, settings);
    }

    /// <summary>A GPIO controller over <see cref="ReadyLines"/>, for a <see cref="ReadyLine"/>; dispose it when done.</summary>
    public GpioController CreateReadyLineController() => new(ReadyLines.CreateDriver());

    /// <summary>Makes the next transfer to <paramref name="chipSelect"/> that <paramref name="fault"/> applies to go wrong.</summary>
    public void InjectFault(int chipSelect, EmulatedBusFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            if (!_slaves.TryGetValue(chipSelect, out var entry))
                throw new InvalidOperationException($"No slave is attached behind chip select {chipSelect}.");
            entry.Faults.Add(fault);
        }
    }

    /// <summary>Faults injected and not yet applied, for <paramref name="chipSelect"/>.</summary>
    public int PendingFaults(int chipSelect)
    {
        lock (_gate)
            return _slaves.TryGetValue(chipSelect, out var entry) ? entry.Faults.Count : 0;
    }

    /// <summary>Publishes the bus as <c>spi:<paramref name="name"/></c> for link URIs (<c>spi:NAME.0?mode=0&amp;speed=8000000</c>).</summary>
    /// <exception cref="ArgumentException">The name is not a letter followed by letters, digits, '-' and '_', or is taken.</exception>
    public IDisposable Publish(string name) => EmulatedBusDirectory.Publish(name, this);

    /// <summary>Takes the bus away: master handles throw <see cref="ObjectDisposedException"/> from now on.</summary>
    public void Dispose()
    {
        lock (_gate)
            _disposed = true;
    }

    private void Transfer(SpiConnectionSettings settings, ReadOnlySpan<byte> mosi, Span<byte> miso)
    {
        if (mosi.Length != miso.Length)
            throw new ArgumentException("The write and read buffers of a full-duplex transfer must be the same length.", nameof(miso));
        long end;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            end = _clock.Occupy(TransactionTime(mosi.Length, settings.ClockFrequency, Options.ChipSelectOverhead) + Options.TransactionLatency);
            if (!_slaves.TryGetValue(settings.ChipSelectLine, out var entry) || entry.Faults.Take(EmulatedBusFaultKind.Nak, 0) is not null)
            {
                miso.Fill(BusFraming.IdleLine);
            }
            else
            {
                (BusSlave slave, FaultQueue faults) = entry;
                int clocked = (faults.Take(EmulatedBusFaultKind.Tear, mosi.Length) ?? faults.Take(EmulatedBusFaultKind.TearToSlave, mosi.Length))?.ByteIndex ?? mosi.Length;
                bool skewed = settings.Mode != slave.Options.SpiMode;
                byte[] seen = mosi[..clocked].ToArray();
                if (skewed)
                    OneBitOff(seen);
                if (faults.Take(EmulatedBusFaultKind.CorruptToSlave, clocked) is { } toSlave)
                    seen[toSlave.ByteIndex] ^= toSlave.Mask;
                byte[] sent = new byte[clocked];
                slave.SpiTransfer(seen, sent);
                if (skewed)
                    OneBitOff(sent);
                sent.CopyTo(miso);
                miso[clocked..].Fill(BusFraming.IdleLine);
                if (faults.Take(EmulatedBusFaultKind.CorruptToMaster, clocked) is { } toMaster)
                    miso[toMaster.ByteIndex] ^= toMaster.Mask;
            }
        }
        _clock.Pace(end);
    }

    /// <summary>What a receiver sampling on the wrong clock edge sees: every bit one place early.</summary>
    private static void OneBitOff(Span<byte> bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = (byte)((bytes[i] << 1) | (i + 1 < bytes.Length ? bytes[i + 1] >> 7 : 1));
    }

    /// <summary>The master's handle on one chip select.</summary>
    private sealed class Device(EmulatedSpiBus bus, SpiConnectionSettings settings) : SpiDevice
    {
        private bool _disposed;

        public override SpiConnectionSettings ConnectionSettings => settings;

        public override void Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            byte[] zeros = new byte[buffer.Length];
            bus.Transfer(settings, zeros, buffer);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            bus.Transfer(settings, buffer, new byte[buffer.Length]);
        }

        public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            bus.Transfer(settings, writeBuffer, readBuffer);
        }

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            base.Dispose(disposing);
        }
    }
}

using System.Device.Gpio;
using System.Device.I2c;

namespace Csa.DataLink.Bus.Emulation;

/// <summary>
/// An I2C bus in this process: slaves (<see cref="BusSlave"/>) attached at 7-bit addresses, and master handles that are
/// <see cref="I2cDevice"/>s like the ones <see cref="I2cDevice.Create"/> returns for a real bus, so
/// <see cref="BusLinkTransport"/> runs unchanged against it. The bus carries one transaction at a time and takes the
/// time the wire would: <c>(12 + 9 n) / ClockRate</c> for a transaction with <c>n</c> data bytes (START, the address
/// byte with its acknowledge, 9 clocks per data byte, STOP and the bus-free time counted as one clock each), plus
/// <see cref="EmulatedI2cBusOptions.TransactionLatency"/>. An address nobody answers, or a slave without power, is not
/// acknowledged: the master's call throws <see cref="IOException"/>, as the Linux driver's does.
/// </summary>
public sealed class EmulatedI2cBus : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<int, (BusSlave Slave, FaultQueue Faults)> _slaves = [];
    private readonly BusClock _clock;
    private bool _disposed;

    /// <summary>Creates a bus with no slaves.</summary>
    /// <param name="options">Clock rate and overheads; null takes the defaults (400 kHz).</param>
    public EmulatedI2cBus(EmulatedI2cBusOptions? options = null)
    {
        options ??= new EmulatedI2cBusOptions();
        options.Validate();
        Options = options;
        _clock = new BusClock(options.TimeProvider);
    }

    /// <summary>The settings.</summary>
    public EmulatedI2cBusOptions Options { get; }

    /// <summary>The board's ready lines (wire a slave to one with <see cref="AttachSlave"/>).</summary>
    public EmulatedReadyLines ReadyLines { get; } = new();

    /// <summary>Total time the bus carried transactions.</summary>
    public TimeSpan BusyTime => _clock.BusyTime;

    /// <summary>Transactions carried, not-acknowledged ones included.</summary>
    public long Transactions => _clock.Transactions;

    /// <summary>The time one transaction with <paramref name="dataBytes"/> data bytes (after the address byte) takes at <paramref name="clockRate"/>.</summary>
    public static TimeSpan TransactionTime(int dataBytes, int clockRate) => TimeSpan.FromSeconds((12.0 + (9.0 * dataBytes)) / clockRate);

    /// <summary>Attaches a slave (powered off: power it on, or let a device do it) at <paramref name="address"/>.</summary>
    /// <param name="address">A 7-bit address, 0x08..0x77 (the others are reserved by the I2C specification).</param>
    /// <param name="options">The slave's buffers; null takes the defaults.</param>
    /// <param name="readyPin">The ready line its ready output is wired to, or null.</param>
    /// <returns>The slave; plug its <see cref="BusSlave.Transport"/> into a device.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A reserved address.</exception>
    /// <exception cref="InvalidOperationException">The address is taken.</exception>
    public BusSlave AttachSlave(int address, BusSlaveOptions? options = null, int? readyPin = null)
    {
        BusLinkSchemes.CheckI2cAddress(address, nameof(address));
        var slave = new BusSlave($"i2c-slave:0x{address:X2}", options);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_slaves.TryAdd(address, (slave, new FaultQueue())))
                throw new InvalidOperationException($"A slave is attached at 0x{address:X2} already.");
        }
        if (readyPin is int pin)
            ReadyLines.Wire(slave, pin);
        return slave;
    }

    /// <summary>The slave at <paramref name="address"/>, or null.</summary>
    public BusSlave? SlaveAt(int address)
    {
        lock (_gate)
            return _slaves.TryGetValue(address, out var entry) ? entry.Slave : null;
    }

    /// <summary>A master handle for the device at <paramref name="address"/> (whether a slave answers there or not, as on a real bus).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A reserved address.</exception>
    public I2cDevice CreateDevice(int address)
    {
        BusLinkSchemes.CheckI2cAddress(address, nameof(address));
        lock (_gate)
            ObjectDisposedException.ThrowIf(_disposed, this);
        return new Device(this, new I2cConnectionSettings(Options.BusId, address));
    }

    /// <summary>A GPIO controller over <see cref="ReadyLines"/>, for a <see cref="ReadyLine"/>; dispose it when done.</summary>
    public GpioController CreateReadyLineController() => new(ReadyLines.CreateDriver());

    /// <summary>Makes the next transaction to <paramref name="address"/> that <paramref name="fault"/> applies to go wrong.</summary>
    public void InjectFault(int address, EmulatedBusFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            if (!_slaves.TryGetValue(address, out var entry))
                throw new InvalidOperationException($"No slave is attached at 0x{address:X2}.");
            entry.Faults.Add(fault);
        }
    }

    /// <summary>Faults injected and not yet applied, for <paramref name="address"/>.</summary>
    public int PendingFaults(int address)
    {
        lock (_gate)
            return _slaves.TryGetValue(address, out var entry) ? entry.Faults.Count : 0;
    }

    /// <summary>Publishes the bus as <c>i2c:<paramref name="name"/></c> for link URIs (<c>i2c:NAME?address=0x42</c>); dispose the result to withdraw it.</summary>
    /// <exception cref="ArgumentException">The name is not a letter followed by letters, digits, '-' and '_', or is taken.</exception>
    public IDisposable Publish(string name) => EmulatedBusDirectory.Publish(name, this);

    /// <summary>Takes the bus away: master handles throw <see cref="ObjectDisposedException"/> from now on (a bus adapter unplugged).</summary>
    public void Dispose()
    {
        lock (_gate)
            _disposed = true;
    }

    private TimeSpan Cost(int bytes) => TransactionTime(bytes, Options.ClockRate) + Options.TransactionLatency;

    private void Read(int address, Span<byte> destination)
    {
        long end;
        int? tornAfter = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!TryFind(address, out BusSlave? slave, out FaultQueue? faults))
            {
                Pace(_clock.Occupy(Cost(0)));
                throw NotAcknowledged(address);
            }
            tornAfter = faults.Take(EmulatedBusFaultKind.Tear, destination.Length)?.ByteIndex;
            int clocked = tornAfter ?? destination.Length;
            if (!slave.TryI2cRead(destination[..clocked]))
            {
                Pace(_clock.Occupy(Cost(0)));
                throw NotAcknowledged(address);
            }
            if (faults.Take(EmulatedBusFaultKind.CorruptToMaster, clocked) is { } corrupt)
                destination[corrupt.ByteIndex] ^= corrupt.Mask;
            end = _clock.Occupy(Cost(clocked));
        }
        Pace(end);
        if (tornAfter is int after)
            throw new IOException($"I2C read from 0x{address:X2} failed after {after} bytes (bus error).");
    }

    private void Write(int address, ReadOnlySpan<byte> data)
    {
        long end;
        int? tornAfter;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!TryFind(address, out BusSlave? slave, out FaultQueue? faults))
            {
                Pace(_clock.Occupy(Cost(0)));
                throw NotAcknowledged(address);
            }
            tornAfter = (faults.Take(EmulatedBusFaultKind.Tear, data.Length) ?? faults.Take(EmulatedBusFaultKind.TearToSlave, data.Length))?.ByteIndex;
            int clocked = tornAfter ?? data.Length;
            byte[] seen = data[..clocked].ToArray();
            if (faults.Take(EmulatedBusFaultKind.CorruptToSlave, clocked) is { } corrupt)
                seen[corrupt.ByteIndex] ^= corrupt.Mask;
            if (!slave.TryI2cWrite(seen))
            {
                Pace(_clock.Occupy(Cost(0)));
                throw NotAcknowledged(address);
            }
            end = _clock.Occupy(Cost(clocked));
        }
        Pace(end);
        if (tornAfter is int after)
            throw new IOException($"I2C write to 0x{address:X2} failed after {after} bytes (bus error).");
    }

    /// <summary>Finds the slave; a pending NAK fault makes it not answer this once.</summary>
    private bool TryFind(int address, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out BusSlave? slave, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FaultQueue? faults)
    {
        slave = null;
        faults = null;
        if (!_slaves.TryGetValue(address, out var entry))
            return false;
        if (entry.Faults.Take(EmulatedBusFaultKind.Nak, 0) is not null)
            return false;
        (slave, faults) = entry;
        return true;
    }

    private void Pace(long end) => _clock.Pace(end);

    private static IOException NotAcknowledged(int address) =>
        new($"No acknowledge from I2C address 0x{address:X2} (EREMOTEIO: nothing answers there, or it is busy or without power).");

    /// <summary>The master's handle on one address.</summary>
    private sealed class Device(EmulatedI2cBus bus, I2cConnectionSettings settings) : I2cDevice
    {
        private bool _disposed;

        public override I2cConnectionSettings ConnectionSettings => settings;

        public override void Read(Span<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            bus.Read(settings.DeviceAddress, buffer);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            bus.Write(settings.DeviceAddress, buffer);
        }

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            // A repeated start between the two halves: the slave sees a write, then a read.
            Write(writeBuffer);
            Read(readBuffer);
        }

        protected override void Dispose(bool disposing)
        {
            _disposed = true;
            base.Dispose(disposing);
        }
    }
}

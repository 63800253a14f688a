namespace Csa.DataLink.Bus.Emulation;

/// <summary>Settings of an <see cref="EmulatedI2cBus"/>: its clock and what each transaction costs besides the data bits.</summary>
public sealed record EmulatedI2cBusOptions
{
    /// <summary>SCL rate in Hz: 100 000 (standard mode), 400 000 (fast mode, the default), 1 000 000 (fast mode plus) or anything in 1000..5 000 000.</summary>
    public int ClockRate { get; init; } = 400_000;

    /// <summary>
    /// What the host's driver adds to every transaction (the system call, the controller's set-up): 0 by default, so
    /// figures are the bus's own; a Linux i2c-dev transfer costs tens of microseconds.
    /// </summary>
    public TimeSpan TransactionLatency { get; init; }

    /// <summary>The bus number the devices report in their <c>ConnectionSettings</c>. 1 by default.</summary>
    public int BusId { get; init; } = 1;

    /// <summary>The clock that paces the bus (and that the links' polling uses).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the parameter name is the property's.</exception>
    public void Validate()
    {
        if (ClockRate is < 1000 or > 5_000_000)
            throw new ArgumentOutOfRangeException(nameof(ClockRate), ClockRate, "An I2C clock is 1 kHz .. 5 MHz.");
        if (TransactionLatency < TimeSpan.Zero || TransactionLatency > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(TransactionLatency), TransactionLatency, "Expected 0 .. 1 s.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}

/// <summary>Settings of an <see cref="EmulatedSpiBus"/>. The clock is each device's own (<c>SpiConnectionSettings.ClockFrequency</c>).</summary>
public sealed record EmulatedSpiBusOptions
{
    /// <summary>
    /// The time chip select costs per transaction: set-up before the first clock, hold after the last, and the
    /// minimum time it stays released (during which a DMA-driven slave re-arms). 2 us by default.
    /// </summary>
    public TimeSpan ChipSelectOverhead { get; init; } = TimeSpan.FromMicroseconds(2);

    /// <summary>What the host's driver adds to every transaction; 0 by default (see <see cref="EmulatedI2cBusOptions.TransactionLatency"/>).</summary>
    public TimeSpan TransactionLatency { get; init; }

    /// <summary>The bus number the devices report in their <c>ConnectionSettings</c>. 0 by default.</summary>
    public int BusId { get; init; }

    /// <summary>The clock that paces the bus.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the parameter name is the property's.</exception>
    public void Validate()
    {
        if (ChipSelectOverhead < TimeSpan.Zero || ChipSelectOverhead > TimeSpan.FromMilliseconds(10))
            throw new ArgumentOutOfRangeException(nameof(ChipSelectOverhead), ChipSelectOverhead, "Expected 0 .. 10 ms.");
        if (TransactionLatency < TimeSpan.Zero || TransactionLatency > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(TransactionLatency), TransactionLatency, "Expected 0 .. 1 s.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}

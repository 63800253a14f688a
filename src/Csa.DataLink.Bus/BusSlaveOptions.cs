using System.Device.Spi;

namespace Csa.DataLink.Bus;

/// <summary>Settings of a <see cref="BusSlave"/>: its buffers (what a device's RAM holds) and, on SPI, its mode.</summary>
public sealed record BusSlaveOptions
{
    /// <summary>The defaults.</summary>
    public static BusSlaveOptions Default { get; } = new();

    /// <summary>
    /// Bytes the slave can hold from the master before its data link has taken them (the receive ring of the bus
    /// interface); the <c>free</c> field of its header counts down from this. 2048 by default: more than one
    /// 1024-byte frame, so a frame can arrive while the previous one is decoded. 1..65535.
    /// </summary>
    public int ReceiveBufferSize { get; init; } = 2048;

    /// <summary>
    /// Bytes the slave's outbound queue holds. When the device has more to send, its transmitter waits (the data
    /// link's flush does not complete) until the master has read the queue down to half of this: nothing is dropped,
    /// as a UART transmitter waits behind a full FIFO. 4096 by default; at least 64.
    /// </summary>
    public int TransmitQueueSize { get; init; } = 4096;

    /// <summary>
    /// The most stream bytes the slave offers in one transaction (its <c>available</c> field; the transmit staging
    /// buffer a DMA-driven slave loads before the transaction). 256 by default; 1..65535.
    /// </summary>
    public int MaxOffer { get; init; } = 256;

    /// <summary>The SPI mode the slave's peripheral is set to (an SPI master in another mode reads garbage). Mode 0 by default.</summary>
    public SpiMode SpiMode { get; init; } = SpiMode.Mode0;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the parameter name is the property's.</exception>
    public void Validate()
    {
        if (ReceiveBufferSize is < 1 or > BusFraming.MaxFieldValue)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBufferSize), ReceiveBufferSize, $"The receive buffer holds 1..{BusFraming.MaxFieldValue} bytes.");
        if (TransmitQueueSize < 64)
            throw new ArgumentOutOfRangeException(nameof(TransmitQueueSize), TransmitQueueSize, "The transmit queue holds at least 64 bytes.");
        if (MaxOffer is < 1 or > BusFraming.MaxFieldValue)
            throw new ArgumentOutOfRangeException(nameof(MaxOffer), MaxOffer, $"A slave offers 1..{BusFraming.MaxFieldValue} bytes per transaction.");
        if (!Enum.IsDefined(SpiMode))
            throw new ArgumentOutOfRangeException(nameof(SpiMode), SpiMode, "Unknown SPI mode.");
    }
}

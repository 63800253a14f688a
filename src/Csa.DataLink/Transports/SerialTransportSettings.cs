using System.IO.Ports;
using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Transports;

/// <summary>Settings of a <see cref="SerialTransport"/>. The defaults are what the Csa bootloader uses: 115200 baud, 8N1, no handshake.</summary>
public sealed class SerialTransportSettings
{
    /// <summary>The port: <c>/dev/ttyUSB0</c>, <c>/dev/ttyACM0</c>, <c>/dev/pts/3</c> on Linux, <c>COM3</c> on Windows.</summary>
    public required string PortName { get; init; }

    /// <summary>Line rate in bit/s. Default 115200.</summary>
    public int BaudRate { get; init; } = 115200;

    /// <summary>Parity bit. Default <see cref="Parity.None"/>.</summary>
    public Parity Parity { get; init; } = Parity.None;

    /// <summary>Data bits per character, 5..8. Default 8 (the data link needs 8 to carry bytes).</summary>
    public int DataBits { get; init; } = 8;

    /// <summary>Stop bits. Default <see cref="StopBits.One"/>; <see cref="StopBits.None"/> is not a valid setting.</summary>
    public StopBits StopBits { get; init; } = StopBits.One;

    /// <summary>Flow control. Default <see cref="Handshake.None"/>. Never use XON/XOFF with the data link: it
    /// sends binary bytes that include the XON/XOFF codes.</summary>
    public Handshake Handshake { get; init; } = Handshake.None;

    /// <summary>Size of the driver's receive buffer in bytes. Default 4096.</summary>
    public int ReadBufferSize { get; init; } = 4096;

    /// <summary>Size of the driver's transmit buffer in bytes. Default 2048.</summary>
    public int WriteBufferSize { get; init; } = 2048;

    /// <summary>Asserts DTR while open. Default <c>false</c>: many STM32 boards wire DTR/RTS to reset or BOOT0.</summary>
    public bool DtrEnable { get; init; }

    /// <summary>Asserts RTS while open (ignored with RTS/CTS handshake). Default <c>false</c>.</summary>
    public bool RtsEnable { get; init; }

    /// <summary>How long one blocking read waits before the read thread checks whether the transport is
    /// closing. Bounds how long disposal takes; not a data timeout. Default 100 ms.</summary>
    public TimeSpan ReadPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Where open/close events are logged. Default: nowhere.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks every setting and throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(PortName);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BaudRate);
        if (DataBits is < 5 or > 8)
        {
            throw new ArgumentOutOfRangeException(nameof(DataBits), DataBits, "Data bits must be 5..8.");
        }

        if (!Enum.IsDefined(Parity))
        {
            throw new ArgumentOutOfRangeException(nameof(Parity), Parity, "Unknown parity.");
        }

        if (StopBits is not (StopBits.One or StopBits.OnePointFive or StopBits.Two))
        {
            throw new ArgumentOutOfRangeException(nameof(StopBits), StopBits, "Stop bits must be One, OnePointFive or Two.");
        }

        if (!Enum.IsDefined(Handshake))
        {
            throw new ArgumentOutOfRangeException(nameof(Handshake), Handshake, "Unknown handshake.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReadBufferSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(WriteBufferSize);
        if (ReadPollInterval < TimeSpan.FromMilliseconds(1) || ReadPollInterval > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentOutOfRangeException(nameof(ReadPollInterval), ReadPollInterval, "The read poll interval must be 1 ms..10 s.");
        }
    }
}

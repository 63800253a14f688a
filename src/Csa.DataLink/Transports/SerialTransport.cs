using System.IO.Pipelines;
using System.IO.Ports;
using Csa.DataLink.Transports.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.DataLink.Transports;

/// <summary>
/// A serial port (UART, USB CDC, RS-485 adapter, pseudo-terminal) as a link transport.
/// </summary>
/// <remarks>
/// A serial line has no "peer closed": the input completes only when the port fails (a USB adapter is
/// unplugged, the other side of a pseudo-terminal closes) or the transport is disposed. After that, every
/// flush of <see cref="Output"/> throws <see cref="TransportClosedException"/>.
/// </remarks>
public sealed class SerialTransport : ILinkTransport
{
    private readonly DuplexPumps _pumps;

    private SerialTransport(SerialPort port, SerialTransportSettings settings, string name)
    {
        Name = name;
        Settings = settings;
        _pumps = new DuplexPumps(name, new SerialPortIo(port), settings.Logger ?? NullLogger.Instance);
        _pumps.Start(receiveOnDedicatedThread: true);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The settings the port was opened with.</summary>
    public SerialTransportSettings Settings { get; }

    /// <inheritdoc />
    public PipeReader Input => _pumps.Input;

    /// <inheritdoc />
    public PipeWriter Output => _pumps.Output;

    /// <summary>Opens the port.</summary>
    /// <param name="settings">Port name and line settings.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="ArgumentException">A setting is invalid.</exception>
    /// <exception cref="TransportConnectException">The port does not exist, is in use, access is denied, or it
    /// refused a setting (e.g. an unsupported baud rate).</exception>
    public static SerialTransport Open(SerialTransportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        string name = $"serial:{settings.PortName}?baud={settings.BaudRate}";
        var port = new SerialPort(settings.PortName, settings.BaudRate, settings.Parity, settings.DataBits, settings.StopBits)
        {
            Handshake = settings.Handshake,
            ReadBufferSize = settings.ReadBufferSize,
            WriteBufferSize = settings.WriteBufferSize,
            DtrEnable = settings.DtrEnable,
            RtsEnable = settings.RtsEnable && settings.Handshake is not (Handshake.RequestToSend or Handshake.RequestToSendXOnXOff),
            ReadTimeout = (int)Math.Ceiling(settings.ReadPollInterval.TotalMilliseconds),
            WriteTimeout = SerialPort.InfiniteTimeout,
        };
        try
        {
            port.Open();
            port.DiscardInBuffer(); // bytes that arrived before we opened belong to nobody
            return new SerialTransport(port, settings, name);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            port.Dispose();
            string what = error switch
            {
                FileNotFoundException => "the port does not exist",
                UnauthorizedAccessException => "access denied or the port is in use",
                ArgumentException => "the port refused a setting",
                _ => "the port cannot be opened",
            };
            throw new TransportConnectException(name, $"{what}: {error.Message}", error);
        }
    }

    /// <summary>Opens <paramref name="portName"/> at <paramref name="baudRate"/>, 8N1, no handshake.</summary>
    /// <param name="portName">See <see cref="SerialTransportSettings.PortName"/>.</param>
    /// <param name="baudRate">See <see cref="SerialTransportSettings.BaudRate"/>.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="TransportConnectException">The port cannot be opened.</exception>
    public static SerialTransport Open(string portName, int baudRate = 115200)
        => Open(new SerialTransportSettings { PortName = portName, BaudRate = baudRate });

    /// <summary>The serial ports this machine has, as the OS names them.</summary>
    /// <returns>Port names, e.g. <c>/dev/ttyUSB0</c> or <c>COM3</c>.</returns>
    public static string[] GetPortNames() => SerialPort.GetPortNames();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _pumps.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => Name;
}

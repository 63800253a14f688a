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
    /// <exception cref="SerialPortException">The port does not exist, is not a serial port, access is denied, it is in
    /// use, or it refused a setting (e.g. an unsupported baud rate); <see cref="SerialPortException.Error"/> says which.</exception>
    public static SerialTransport Open(SerialTransportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        string name = $"serial:{settings.PortName}?baud={settings.BaudRate}";
        if (!OperatingSystem.IsWindows())
        {
            // Checked first because .NET reports every failure to open a Unix port as "access denied".
            if (Directory.Exists(settings.PortName))
                throw Failed(name, settings.PortName, SerialPortError.NotASerialPort, "it is a directory, not a serial port", null);
            if (!File.Exists(settings.PortName))
                throw Failed(name, settings.PortName, SerialPortError.NotFound, null, null);
        }

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
            (SerialPortError kind, string? what) = Classify(error);
            throw Failed(name, settings.PortName, kind, what, error);
        }
    }

    /// <summary>Opens <paramref name="portName"/> at <paramref name="baudRate"/>, 8N1, no handshake.</summary>
    /// <param name="portName">See <see cref="SerialTransportSettings.PortName"/>.</param>
    /// <param name="baudRate">See <see cref="SerialTransportSettings.BaudRate"/>.</param>
    /// <returns>The open transport.</returns>
    /// <exception cref="TransportConnectException">The port cannot be opened.</exception>
    public static SerialTransport Open(string portName, int baudRate = 115200)
        => Open(new SerialTransportSettings { PortName = portName, BaudRate = baudRate });

    /// <summary>
    /// Why opening failed. On Unix, .NET wraps every open(2)/ioctl failure in UnauthorizedAccessException and keeps
    /// the errno as the HResult of the inner IOException; that tells "no such file" and "not a tty" from a real
    /// permission problem or a port another program holds (locked, EBUSY).
    /// </summary>
    private static (SerialPortError Kind, string? What) Classify(Exception error)
    {
        const int enoent = 2, eperm = 1, eacces = 13, eagain = 11, ebusy = 16, eisdir = 21, enotty = 25, enxio = 6, enodev = 19;
        switch (error)
        {
            case FileNotFoundException or DirectoryNotFoundException:
                return (SerialPortError.NotFound, null);
            case ArgumentException:
                return (SerialPortError.SettingRefused, "the port refused a setting");
            case UnauthorizedAccessException when !OperatingSystem.IsWindows() && error.InnerException is IOException io:
                return io.HResult switch
                {
                    enoent or enxio or enodev => (SerialPortError.NotFound, null),
                    enotty or eisdir => (SerialPortError.NotASerialPort, "it is not a terminal device (tty), so not a serial port"),
                    eacces or eperm => (SerialPortError.AccessDenied, "access denied: this user may not open the port (on Linux, add the user to the group that owns it, usually 'dialout')"),
                    eagain or ebusy => (SerialPortError.InUse, "the port is in use by another program"),
                    _ => (SerialPortError.Other, "the port cannot be opened"),
                };
            case UnauthorizedAccessException:
                return (SerialPortError.AccessDeniedOrInUse, "access denied or the port is in use");
            default:
                return (SerialPortError.Other, "the port cannot be opened");
        }
    }

    private static SerialPortException Failed(string name, string portName, SerialPortError kind, string? what, Exception? error)
    {
        if (kind == SerialPortError.NotFound)
        {
            string[] ports;
            try
            {
                ports = SerialPort.GetPortNames();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                ports = [];
            }
            what = $"the port {portName} does not exist (serial ports on this machine: {(ports.Length == 0 ? "none found" : string.Join(", ", ports.Order(StringComparer.Ordinal)))})";
        }
        else
        {
            what = $"{portName}: {what}";
        }

        return new SerialPortException(name, portName, kind, error is null || kind == SerialPortError.NotFound ? what : $"{what} ({error.Message})", error);
    }

    /// <summary>The serial ports this machine has, as the OS names them.</summary>
    /// <returns>Port names, e.g. <c>/dev/ttyUSB0</c> or <c>COM3</c>.</returns>
    public static string[] GetPortNames() => SerialPort.GetPortNames();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _pumps.DisposeAsync();

    /// <inheritdoc />
    public override string ToString() => Name;
}

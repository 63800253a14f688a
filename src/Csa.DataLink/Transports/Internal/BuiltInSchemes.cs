using System.IO.Ports;

namespace Csa.DataLink.Transports.Internal;

/// <summary>The <c>tcp:</c> and <c>serial:</c> schemes of <see cref="TransportFactory"/>.</summary>
internal static class BuiltInSchemes
{
    public static readonly string[] TcpParameters = ["connectTimeout", "nodelay", "keepalive"];

    public static readonly string[] SerialParameters = ["baud", "parity", "databits", "stopbits", "handshake", "dtr", "rts", "rxbuffer", "txbuffer"];

    public static async Task<ILinkTransport> ConnectTcpAsync(LinkUri uri, CancellationToken cancellationToken)
    {
        (string host, int port, TcpTransportOptions options) = ToTcp(uri);
        return await TcpTransport.ConnectAsync(host, port, options, cancellationToken).ConfigureAwait(false);
    }

    public static Task<ILinkTransport> OpenSerialAsync(LinkUri uri, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        SerialTransportSettings settings = ToSerial(uri);
        return Task.FromResult<ILinkTransport>(SerialTransport.Open(settings));
    }

    /// <summary><c>tcp://host:port[?connectTimeout=5s&amp;nodelay=true&amp;keepalive=true]</c>.</summary>
    public static (string Host, int Port, TcpTransportOptions Options) ToTcp(LinkUri uri)
    {
        if (!uri.HasAuthority)
        {
            throw new LinkUriException(uri.Text, "a TCP URI has the form tcp://host:port");
        }

        if (uri.Host.Length == 0)
        {
            throw new LinkUriException(uri.Text, "the host is missing");
        }

        if (uri.Port is not int port)
        {
            throw new LinkUriException(uri.Text, "the port is missing (tcp://host:port)");
        }

        if (uri.Path is not ("" or "/"))
        {
            throw new LinkUriException(uri.Text, $"a TCP URI has no path, but '{uri.Path}' follows the port");
        }

        uri.RequireKnownParameters(TcpParameters);
        var defaults = TcpTransportOptions.Default;
        var options = new TcpTransportOptions
        {
            ConnectTimeout = uri.GetDuration("connectTimeout", defaults.ConnectTimeout),
            NoDelay = uri.GetBoolean("nodelay", defaults.NoDelay),
            KeepAlive = uri.GetBoolean("keepalive", defaults.KeepAlive),
        };
        return (uri.Host, port, options);
    }

    /// <summary><c>serial:/dev/ttyUSB0?baud=115200&amp;parity=none&amp;databits=8&amp;stopbits=1&amp;handshake=none</c>, or <c>serial:COM3?...</c>.</summary>
    public static SerialTransportSettings ToSerial(LinkUri uri)
    {
        string portName = uri.HasAuthority ? uri.Host + uri.Path : uri.Path;
        if (portName.Length == 0)
        {
            throw new LinkUriException(uri.Text, "the serial port name is missing (serial:/dev/ttyUSB0 or serial:COM3)");
        }

        uri.RequireKnownParameters(SerialParameters);
        return new SerialTransportSettings
        {
            PortName = portName,
            BaudRate = uri.GetInt32("baud", 115200, 1, 100_000_000),
            Parity = ParseParity(uri),
            DataBits = uri.GetInt32("databits", 8, 5, 8),
            StopBits = ParseStopBits(uri),
            Handshake = ParseHandshake(uri),
            DtrEnable = uri.GetBoolean("dtr", false),
            RtsEnable = uri.GetBoolean("rts", false),
            ReadBufferSize = uri.GetInt32("rxbuffer", 4096, 1, 16 * 1024 * 1024),
            WriteBufferSize = uri.GetInt32("txbuffer", 2048, 1, 16 * 1024 * 1024),
        };
    }

    private static Parity ParseParity(LinkUri uri) => uri.GetString("parity", "none")!.ToLowerInvariant() switch
    {
        "none" or "n" => Parity.None,
        "odd" or "o" => Parity.Odd,
        "even" or "e" => Parity.Even,
        "mark" or "m" => Parity.Mark,
        "space" or "s" => Parity.Space,
        string other => throw new LinkUriException(uri.Text, $"the parity '{other}' is not one of none, odd, even, mark, space"),
    };

    private static StopBits ParseStopBits(LinkUri uri) => uri.GetString("stopbits", "1")! switch
    {
        "1" => StopBits.One,
        "1.5" => StopBits.OnePointFive,
        "2" => StopBits.Two,
        string other => throw new LinkUriException(uri.Text, $"the stop bits '{other}' are not one of 1, 1.5, 2"),
    };

    private static Handshake ParseHandshake(LinkUri uri) => uri.GetString("handshake", "none")!.ToLowerInvariant() switch
    {
        "none" => Handshake.None,
        "rtscts" => Handshake.RequestToSend,
        "xonxoff" => Handshake.XOnXOff,
        "rtscts+xonxoff" or "rtscts-xonxoff" => Handshake.RequestToSendXOnXOff,
        string other => throw new LinkUriException(uri.Text, $"the handshake '{other}' is not one of none, rtscts, xonxoff, rtscts+xonxoff"),
    };
}

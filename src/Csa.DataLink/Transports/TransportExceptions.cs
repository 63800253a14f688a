namespace Csa.DataLink;

/// <summary>
/// The byte transport under the data link is closed: the peer closed or reset the connection, the link
/// was disconnected, or this end was disposed. Writes (<c>FlushAsync</c>) to a closed transport throw this
/// exception; reads never throw it: the input pipe simply completes.
/// </summary>
/// <remarks>
/// Named <c>TransportClosedException</c> (not <c>LinkClosedException</c>) so that the data link's own
/// "link lost" error can keep that name: this one is about the byte stream underneath, and its
/// <see cref="Exception.InnerException"/> holds the socket or I/O error when there was one.
/// </remarks>
public class TransportClosedException : DataLinkException
{
    /// <summary>Creates the exception for the transport named <paramref name="transportName"/>.</summary>
    /// <param name="transportName">The transport's <see cref="ILinkTransport.Name"/>.</param>
    /// <param name="message">Why the transport is closed.</param>
    /// <param name="innerException">The socket or I/O error underneath, if any.</param>
    public TransportClosedException(string transportName, string message, Exception? innerException = null)
        : base($"{transportName}: {message}", innerException)
    {
        TransportName = transportName;
    }

    /// <summary>The <see cref="ILinkTransport.Name"/> of the transport that is closed.</summary>
    public string TransportName { get; }
}

/// <summary>
/// A transport could not be opened: a TCP connection was refused or the host could not be resolved, a
/// serial port does not exist, is busy or refused its settings.
/// </summary>
public class TransportConnectException : DataLinkException
{
    /// <summary>Creates the exception for the transport target <paramref name="target"/>.</summary>
    /// <param name="target">What was being opened, e.g. <c>tcp://10.0.0.5:5000</c> or <c>serial:/dev/ttyUSB0</c>.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The socket or I/O error underneath, if any.</param>
    public TransportConnectException(string target, string message, Exception? innerException = null)
        : base($"{target}: {message}", innerException)
    {
        Target = target;
    }

    /// <summary>What was being opened, e.g. <c>tcp://10.0.0.5:5000</c>.</summary>
    public string Target { get; }
}

/// <summary>A TCP connection attempt did not complete within the configured connect timeout.</summary>
public class TransportConnectTimeoutException : TransportConnectException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="target">What was being connected to.</param>
    /// <param name="timeout">The connect timeout that elapsed.</param>
    public TransportConnectTimeoutException(string target, TimeSpan timeout)
        : base(target, $"no connection within the connect timeout of {timeout.TotalMilliseconds:0} ms")
    {
        Timeout = timeout;
    }

    /// <summary>The connect timeout that elapsed.</summary>
    public TimeSpan Timeout { get; }
}

/// <summary>A serial port could not be opened; <see cref="Error"/> says why (missing, not a serial port, denied, in use, ...).</summary>
public sealed class SerialPortException : TransportConnectException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="target">The transport being opened, e.g. <c>serial:/dev/ttyUSB0?baud=115200</c>.</param>
    /// <param name="portName">The port's name as given, e.g. <c>/dev/ttyUSB0</c>.</param>
    /// <param name="error">Why it could not be opened.</param>
    /// <param name="message">What went wrong, in words.</param>
    /// <param name="innerException">The I/O error underneath, if any.</param>
    public SerialPortException(string target, string portName, SerialPortError error, string message, Exception? innerException = null)
        : base(target, message, innerException)
    {
        PortName = portName;
        Error = error;
    }

    /// <summary>The port's name as given.</summary>
    public string PortName { get; }

    /// <summary>Why the port could not be opened.</summary>
    public SerialPortError Error { get; }
}

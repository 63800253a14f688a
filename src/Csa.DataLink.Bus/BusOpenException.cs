namespace Csa.DataLink.Bus;

/// <summary>Why an I2C or SPI link could not be opened.</summary>
public enum BusOpenError
{
    /// <summary>The bus device (<c>/dev/i2c-N</c>, <c>/dev/spidevB.C</c>) or the named emulated bus does not exist.</summary>
    NotFound,

    /// <summary>The user may not open it (Linux: not in the owning group, usually <c>i2c</c> or <c>spi</c>).</summary>
    AccessDenied,

    /// <summary>It exists but is not a bus device (a directory, a file).</summary>
    NotABus,

    /// <summary>Another program or a kernel driver holds it (<c>EBUSY</c>).</summary>
    InUse,

    /// <summary>The ready line's GPIO chip or line could not be opened.</summary>
    ReadyLineUnavailable,

    /// <summary>This operating system has no i2c-dev / spidev interface.</summary>
    NotSupported,

    /// <summary>Anything else: the operating system's message says what.</summary>
    Other,
}

/// <summary>An I2C or SPI link could not be opened; <see cref="Error"/> says why and the message names the bus.</summary>
public sealed class BusOpenException : TransportConnectException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="target">The link URI being opened.</param>
    /// <param name="bus">The bus device or emulated bus name, e.g. <c>/dev/i2c-1</c>.</param>
    /// <param name="error">Why it could not be opened.</param>
    /// <param name="message">What went wrong, in words.</param>
    /// <param name="innerException">The error underneath, if any.</param>
    public BusOpenException(string target, string bus, BusOpenError error, string message, Exception? innerException = null)
        : base(target, message, innerException)
    {
        Bus = bus;
        Error = error;
    }

    /// <summary>The bus device or emulated bus name.</summary>
    public string Bus { get; }

    /// <summary>Why it could not be opened.</summary>
    public BusOpenError Error { get; }
}

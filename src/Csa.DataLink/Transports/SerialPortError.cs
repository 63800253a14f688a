namespace Csa.DataLink;

/// <summary>Why a serial port could not be opened (see <see cref="SerialPortException"/>).</summary>
public enum SerialPortError
{
    /// <summary>The operating system reported an error not listed here; the message and inner exception say which.</summary>
    Other = 0,

    /// <summary>No port by that name exists (a USB adapter that is unplugged, a typo in the name).</summary>
    NotFound,

    /// <summary>The name exists but is not a serial port: a directory, a regular file, a device that is not a terminal (tty).</summary>
    NotASerialPort,

    /// <summary>The user may not open the port (on Linux: not in the group that owns it, usually <c>dialout</c>).</summary>
    AccessDenied,

    /// <summary>Another program holds the port open.</summary>
    InUse,

    /// <summary>
    /// Access was refused, and the operating system does not say whether for permissions or because another program
    /// holds the port (Windows reports both alike).
    /// </summary>
    AccessDeniedOrInUse,

    /// <summary>The port refused a line setting (e.g. an unsupported baud rate).</summary>
    SettingRefused,
}

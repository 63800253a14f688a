namespace Csa.Cli.Ports;

/// <summary>One serial port and what the operating system knows of it (<c>csa ports</c>).</summary>
/// <param name="Path">What a <c>serial:</c> link names: <c>/dev/ttyUSB0</c>, <c>COM3</c>.</param>
/// <param name="Source">Where it was found: <c>sysfs</c>, <c>registry</c>, <c>system</c> (the runtime's port list) or <c>CSA_SERIAL_PORTS</c>.</param>
/// <param name="Driver">The kernel driver (<c>ftdi_sio</c>, <c>cdc_acm</c>, <c>cp210x</c>, <c>serial8250</c>), when known.</param>
/// <param name="Vid">The USB vendor id (4 hex digits, lower case), for a USB adapter.</param>
/// <param name="Pid">The USB product id.</param>
/// <param name="SerialNumber">The USB serial number, which tells two identical adapters apart.</param>
/// <param name="Manufacturer">The USB manufacturer string.</param>
/// <param name="Product">The USB product string.</param>
/// <param name="Location">Where on the USB tree: on Linux the bus-port path and interface (<c>1-1.4:1.0</c>), stable while the cable stays in the same socket; on Windows the device instance (<c>USB\VID_0483&amp;PID_5740\8D7F3A5B</c>).</param>
internal sealed record SerialPortInfo(string Path, string Source, string? Driver = null, string? Vid = null, string? Pid = null, string? SerialNumber = null,
    string? Manufacturer = null, string? Product = null, string? Location = null)
{
    /// <summary>True for a USB adapter.</summary>
    public bool IsUsb => Vid is not null;

    /// <summary>One line for a table: <c>USB 0403:6001 FTDI FT232R USB UART, serial A50285BI</c>.</summary>
    public string Description =>
        IsUsb
            ? $"USB {Vid}:{Pid}" + (Manufacturer is null && Product is null ? "" : $" {string.Join(' ', new[] { Manufacturer, Product }.Where(s => s is not null))}") +
              (SerialNumber is null ? "" : $", serial {SerialNumber}")
            : Driver is null ? Source : $"{Driver} ({Source})";
}

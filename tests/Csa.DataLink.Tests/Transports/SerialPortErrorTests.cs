using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests.Transports;

/// <summary>
/// Opening a serial port that cannot be a link says why, as a typed <see cref="SerialPortException"/> (issue 13 item
/// 11): a port that does not exist is not "access denied or in use", and a file that is not a tty says so.
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
public sealed class SerialPortErrorTests
{
    [LinuxFact]
    public void A_port_that_does_not_exist_says_it_does_not_exist()
    {
        var error = Assert.Throws<SerialPortException>(() => SerialTransport.Open("/dev/ttyUSB7-csa-missing"));
        Assert.Equal(SerialPortError.NotFound, error.Error);
        Assert.Equal("/dev/ttyUSB7-csa-missing", error.PortName);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", error.Message, StringComparison.Ordinal);
        Assert.Contains("serial ports on this machine", error.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public void A_regular_file_is_not_a_serial_port()
    {
        string file = Path.GetTempFileName();
        try
        {
            var error = Assert.Throws<SerialPortException>(() => SerialTransport.Open(file));
            Assert.Equal(SerialPortError.NotASerialPort, error.Error);
            Assert.Contains("not a terminal device (tty)", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [LinuxFact]
    public void A_device_that_is_not_a_tty_and_a_directory_are_not_serial_ports()
    {
        Assert.Equal(SerialPortError.NotASerialPort, Assert.Throws<SerialPortException>(() => SerialTransport.Open("/dev/null")).Error);
        var directory = Assert.Throws<SerialPortException>(() => SerialTransport.Open("/dev"));
        Assert.Equal(SerialPortError.NotASerialPort, directory.Error);
        Assert.Contains("directory", directory.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task A_serial_uri_naming_a_missing_port_fails_with_the_typed_error()
    {
        var error = await Assert.ThrowsAsync<SerialPortException>(() => TransportFactory.ConnectAsync("serial:/dev/ttyUSB7-csa-missing?baud=115200"));
        Assert.Equal(SerialPortError.NotFound, error.Error);
    }

    [LinuxFact]
    public async Task A_pty_still_opens()
    {
        using var pty = PseudoTerminal.Open();
        await using SerialTransport serial = SerialTransport.Open(pty.SlavePath);
        Assert.NotNull(serial.Input);
    }
}

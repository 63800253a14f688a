using Csa.DataLink.Transports;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

/// <summary>SerialTransport for real, over Linux pseudo-terminals (the same tty layer a USB serial adapter uses).</summary>
[Trait("Requirement", "REQ-TOPO")]
public sealed class SerialTransportTests
{
    private static readonly byte[] EveryByteValue = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    [LinuxFact]
    public async Task Every_byte_value_passes_unchanged_both_ways_through_a_pty()
    {
        using var pty = PseudoTerminal.Open();
        await using SerialTransport serial = SerialTransport.Open(new SerialTransportSettings { PortName = pty.SlavePath, BaudRate = 115200 });
        Assert.Equal($"serial:{pty.SlavePath}?baud=115200", serial.Name);

        // Raw mode matters: no CR/LF translation, no XON/XOFF, no echo, 0x00 and 0xFF intact.
        Task<byte[]> atMaster = pty.ReadFromMasterAsync(256);
        await WriteAsync(serial.Output, EveryByteValue);
        Assert.Equal(EveryByteValue, await atMaster);

        await pty.WriteToMasterAsync(EveryByteValue);
        Assert.Equal(EveryByteValue, await ReadExactlyAsync(serial.Input, 256));
    }

    [LinuxFact]
    public async Task Sixty_four_KiB_each_way_arrive_intact()
    {
        using var pty = PseudoTerminal.Open();
        await using SerialTransport serial = SerialTransport.Open(pty.SlavePath);
        byte[] toMaster = RandomBytes(64 * 1024, seed: 21);
        byte[] fromMaster = RandomBytes(64 * 1024, seed: 22);

        Task<byte[]> atMaster = pty.ReadFromMasterAsync(toMaster.Length);
        Task<byte[]> atSerial = ReadExactlyAsync(serial.Input, fromMaster.Length);
        await Task.WhenAll(WriteAsync(serial.Output, toMaster), pty.WriteToMasterAsync(fromMaster));

        Assert.Equal(toMaster, await atMaster);
        Assert.Equal(fromMaster, await atSerial);
    }

    [LinuxFact]
    public async Task Two_serial_transports_over_a_socat_null_modem_exchange_256_KiB_each_way()
    {
        using SocatNullModem cable = await SocatNullModem.StartAsync();
        await using SerialTransport left = SerialTransport.Open(new SerialTransportSettings { PortName = cable.First, BaudRate = 921600 });
        await using SerialTransport right = SerialTransport.Open(new SerialTransportSettings { PortName = cable.Second, BaudRate = 921600 });
        byte[] rightward = RandomBytes(256 * 1024, seed: 31);
        byte[] leftward = RandomBytes(256 * 1024, seed: 32);

        Task<byte[]> atRight = ReadExactlyAsync(right.Input, rightward.Length);
        Task<byte[]> atLeft = ReadExactlyAsync(left.Input, leftward.Length);
        await Task.WhenAll(WriteAsync(left.Output, rightward), WriteAsync(right.Output, leftward));

        Assert.Equal(rightward, await atRight);
        Assert.Equal(leftward, await atLeft);
    }

    [LinuxFact]
    public async Task When_the_other_side_goes_away_the_input_completes_and_writes_fail()
    {
        var pty = PseudoTerminal.Open();
        await using SerialTransport serial = SerialTransport.Open(pty.SlavePath);
        await pty.WriteToMasterAsync("bye\0"u8.ToArray());
        Assert.Equal("bye\0"u8.ToArray(), await ReadExactlyAsync(serial.Input, 4));

        pty.Dispose(); // like unplugging a USB serial adapter: the tty reports an I/O error

        Assert.Empty(await ReadToCompletionAsync(serial.Input));
        Exception error = await FlushUntilFailureAsync(serial.Output);
        Assert.IsType<TransportClosedException>(error);
    }

    [LinuxFact]
    public async Task Disposing_completes_the_input_and_later_writes_fail_with_TransportClosedException()
    {
        using var pty = PseudoTerminal.Open();
        SerialTransport serial = SerialTransport.Open(pty.SlavePath);
        await serial.DisposeAsync();

        Assert.True((await serial.Input.ReadAsync().AsTask().WaitAsync(HangGuard)).IsCompleted);
        var error = await Assert.ThrowsAsync<TransportClosedException>(async () => await serial.Output.WriteAsync(new byte[] { 1 }));
        Assert.Contains("disposed", error.Message, StringComparison.Ordinal);
    }

    [LinuxFact]
    public async Task The_transport_factory_opens_a_serial_uri_with_its_settings()
    {
        using var pty = PseudoTerminal.Open();
        await using ILinkTransport transport = await TransportFactory.ConnectAsync($"serial:{pty.SlavePath}?baud=57600&parity=even&stopbits=2");
        var serial = Assert.IsType<SerialTransport>(transport);
        Assert.Equal(57600, serial.Settings.BaudRate);
        Assert.Equal(System.IO.Ports.Parity.Even, serial.Settings.Parity);
        Assert.Equal(System.IO.Ports.StopBits.Two, serial.Settings.StopBits);

        Task<byte[]> atMaster = pty.ReadFromMasterAsync(3);
        await WriteAsync(transport.Output, new byte[] { 7, 8, 0 });
        Assert.Equal(new byte[] { 7, 8, 0 }, await atMaster);
    }

    [Fact]
    public void A_port_that_does_not_exist_is_a_TransportConnectException()
    {
        string missing = OperatingSystem.IsWindows() ? "COM250" : "/dev/ttyCsaDoesNotExist0";
        var error = Assert.ThrowsAny<TransportConnectException>(() => SerialTransport.Open(missing));
        Assert.Contains(missing, error.Target, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(9)]
    public void Data_bits_outside_5_to_8_are_rejected(int dataBits)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(
            () => SerialTransport.Open(new SerialTransportSettings { PortName = "/dev/null", DataBits = dataBits }));
        Assert.Equal(nameof(SerialTransportSettings.DataBits), error.ParamName);
    }

    [Fact]
    public void No_stop_bits_is_rejected()
        => Assert.Throws<ArgumentOutOfRangeException>(
            () => SerialTransport.Open(new SerialTransportSettings { PortName = "/dev/null", StopBits = System.IO.Ports.StopBits.None }));
}

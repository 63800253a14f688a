using System.IO.Ports;
using System.Net;
using Csa.DataLink.Transports;
using Csa.DataLink.Transports.Internal;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

[Trait("Requirement", "REQ-TOPO")]
public sealed class LinkUriTests
{
    [Fact]
    public void A_tcp_uri_gives_host_port_and_options()
    {
        var (host, port, options) = BuiltInSchemes.ToTcp(LinkUri.Parse("tcp://device-7.lab:5000?connectTimeout=2.5s&nodelay=false&keepalive=off"));
        Assert.Equal("device-7.lab", host);
        Assert.Equal(5000, port);
        Assert.Equal(TimeSpan.FromSeconds(2.5), options.ConnectTimeout);
        Assert.False(options.NoDelay);
        Assert.False(options.KeepAlive);
    }

    [Fact]
    public void A_tcp_uri_without_parameters_uses_the_defaults_and_accepts_IPv6_in_brackets()
    {
        var (host, port, options) = BuiltInSchemes.ToTcp(LinkUri.Parse("TCP://[::1]:65535/"));
        Assert.Equal("::1", host);
        Assert.Equal(65535, port);
        Assert.Equal(TcpTransportOptions.Default.ConnectTimeout, options.ConnectTimeout);
        Assert.True(options.NoDelay);
    }

    [Theory]
    [InlineData("serial:/dev/ttyUSB0?baud=115200&parity=none", "/dev/ttyUSB0", 115200, Parity.None, 8, StopBits.One, Handshake.None)]
    [InlineData("serial:COM3?baud=921600", "COM3", 921600, Parity.None, 8, StopBits.One, Handshake.None)]
    [InlineData("serial:///dev/ttyACM1?Parity=Even&DataBits=7&StopBits=2&handshake=rtscts", "/dev/ttyACM1", 115200, Parity.Even, 7, StopBits.Two, Handshake.RequestToSend)]
    [InlineData("serial:/dev/serial/by-id/usb-ST%20Link-if02?stopbits=1.5&parity=o", "/dev/serial/by-id/usb-ST Link-if02", 115200, Parity.Odd, 8, StopBits.OnePointFive, Handshake.None)]
    public void A_serial_uri_gives_the_port_settings(string uri, string portName, int baud, Parity parity, int dataBits, StopBits stopBits, Handshake handshake)
    {
        SerialTransportSettings settings = BuiltInSchemes.ToSerial(LinkUri.Parse(uri));
        Assert.Equal(portName, settings.PortName);
        Assert.Equal(baud, settings.BaudRate);
        Assert.Equal(parity, settings.Parity);
        Assert.Equal(dataBits, settings.DataBits);
        Assert.Equal(stopBits, settings.StopBits);
        Assert.Equal(handshake, settings.Handshake);
    }

    [Fact]
    public void Parsing_keeps_the_parts_and_decodes_percent_escapes()
    {
        LinkUri uri = LinkUri.Parse("sim:chain%2F3?nodes=4&name=a%26b");
        Assert.Equal("sim", uri.Scheme);
        Assert.False(uri.HasAuthority);
        Assert.Equal("chain/3", uri.Path);
        Assert.Equal("4", uri.Parameters["NODES"]);
        Assert.Equal("a&b", uri.GetString("name"));
        Assert.Equal(4, uri.GetInt32("nodes", 1, 1, 10));
    }

    [Fact]
    public void A_system_uri_is_accepted_and_a_relative_one_is_not()
    {
        Assert.Equal("tcp", LinkUri.FromUri(new Uri("tcp://127.0.0.1:5000")).Scheme);
        Assert.Throws<LinkUriException>(() => LinkUri.FromUri(new Uri("dev/ttyUSB0", UriKind.Relative)));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/dev/ttyUSB0", "no scheme")]
    [InlineData("1tcp://a:1", "not a valid scheme")]
    [InlineData("tcp://host:5000#x", "fragments")]
    [InlineData("tcp://host :5000", "white space")]
    [InlineData("tcp://host:", "port after ':' is missing")]
    [InlineData("tcp://host:70000", "not a number in 1..65535")]
    [InlineData("tcp://host:0", "not a number in 1..65535")]
    [InlineData("tcp://host:50x", "not a number in 1..65535")]
    [InlineData("tcp://::1:5000", "IPv6 address must be written in brackets")]
    [InlineData("tcp://[::1:5000", "closing ']'")]
    [InlineData("tcp://user@host:5000", "user information")]
    [InlineData("serial:/dev/ttyUSB0?", "query after '?' is empty")]
    [InlineData("serial:/dev/ttyUSB0?baud", "has no value")]
    [InlineData("serial:/dev/ttyUSB0?baud=", "empty value")]
    [InlineData("serial:/dev/ttyUSB0?=5", "no name")]
    [InlineData("serial:/dev/ttyUSB0?baud=1&baud=2", "given twice")]
    [InlineData("serial:/dev/tty%zz", "bad percent-escape")]
    public void Malformed_uris_are_rejected_saying_what_is_wrong(string text, string problem)
    {
        var error = Assert.Throws<LinkUriException>(() => LinkUri.Parse(text));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(text, error.Uri);
        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.False(LinkUri.TryParse(text, out _, out string? tryProblem));
        Assert.Equal(error.Problem, tryProblem);
    }

    [Theory]
    [InlineData("tcp:host:5000", "tcp://host:port")]
    [InlineData("tcp://:5000", "host is missing")]
    [InlineData("tcp://host", "port is missing")]
    [InlineData("tcp://host:5000/path", "has no path")]
    [InlineData("tcp://host:5000?nodelay=maybe", "must be true or false")]
    [InlineData("tcp://host:5000?connectTimeout=-1s", "positive duration")]
    [InlineData("tcp://host:5000?timeout=1s", "unknown parameter 'timeout'")]
    [InlineData("serial:", "port name is missing")]
    [InlineData("serial:/dev/ttyUSB0?baud=fast", "whole number")]
    [InlineData("serial:/dev/ttyUSB0?baud=0", "outside 1..100000000")]
    [InlineData("serial:/dev/ttyUSB0?parity=maybe", "parity 'maybe'")]
    [InlineData("serial:/dev/ttyUSB0?databits=9", "outside 5..8")]
    [InlineData("serial:/dev/ttyUSB0?stopbits=3", "stop bits '3'")]
    [InlineData("serial:/dev/ttyUSB0?handshake=dtr", "handshake 'dtr'")]
    [InlineData("serial:/dev/ttyUSB0?bauds=9600", "unknown parameter 'bauds'")]
    public async Task Bad_targets_and_parameters_are_rejected_by_the_factory_before_anything_opens(string text, string problem)
    {
        var error = await Assert.ThrowsAsync<LinkUriException>(() => TransportFactory.ConnectAsync(text));
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unregistered_scheme_is_rejected_listing_the_registered_ones()
    {
        var error = await Assert.ThrowsAsync<LinkUriException>(() => TransportFactory.ConnectAsync("carrier-pigeon:coop1"));
        Assert.Contains("'carrier-pigeon:' is not registered", error.Problem, StringComparison.Ordinal);
        Assert.Contains("serial, tcp", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("i2c:/dev/i2c-1?address=0x42")]
    [InlineData("spi:/dev/spidev0.0?mode=0&speed=1000000")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_bus_scheme_without_the_bus_package_says_which_package_brings_it(string uri)
    {
        // This test assembly does not ship Csa.DataLink.Bus, so the core cannot load it (docs/transports.md section 7.8).
        LinkUriException error = await Assert.ThrowsAsync<LinkUriException>(() => TransportFactory.ConnectAsync(uri));
        Assert.Contains("it comes with the Csa.DataLink.Bus package, which this application does not ship", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_registered_scheme_handler_receives_the_parsed_uri()
    {
        const string scheme = "test-loop";
        LinkUri? seen = null;
        TransportFactory.RegisterScheme(scheme, (uri, _) =>
        {
            seen = uri;
            return Task.FromResult(EmulatedLink.CreatePair().A);
        });
        try
        {
            Assert.True(TransportFactory.IsSchemeRegistered("TEST-LOOP"));
            Assert.Throws<ArgumentException>(() => TransportFactory.RegisterScheme(scheme, (_, _) => Task.FromResult<ILinkTransport>(null!)));
            await using ILinkTransport transport = await TransportFactory.ConnectAsync(new Uri("test-loop:bench?nodes=3"));
            Assert.StartsWith("emulated:", transport.Name, StringComparison.Ordinal);
            Assert.Equal("bench", seen!.Path);
            Assert.Equal(3, seen.GetInt32("nodes", 0));
        }
        finally
        {
            Assert.True(TransportFactory.UnregisterScheme(scheme));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("9lives")]
    [InlineData("a b")]
    public void Invalid_scheme_names_cannot_be_registered(string scheme)
        => Assert.ThrowsAny<ArgumentException>(() => TransportFactory.RegisterScheme(scheme, (_, _) => Task.FromResult<ILinkTransport>(null!)));

    [Fact]
    public async Task The_factory_connects_a_tcp_uri()
    {
        await using TcpLinkListener listener = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Task<TcpTransport> accept = listener.AcceptAsync();
        await using ILinkTransport client = await TransportFactory.ConnectAsync($"tcp://127.0.0.1:{listener.LocalEndPoint.Port}?connectTimeout=5s").WaitAsync(HangGuard);
        await using TcpTransport server = await accept.WaitAsync(HangGuard);

        await WriteAsync(client.Output, new byte[] { 1, 2, 3, 0 });
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, await ReadExactlyAsync(server.Input, 4));
    }

    [Fact]
    public async Task A_refused_tcp_uri_is_a_TransportConnectException()
    {
        int port;
        await using (TcpLinkListener probe = TcpLinkListener.Start(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            port = probe.LocalEndPoint.Port;
        }

        await Assert.ThrowsAsync<TransportConnectException>(() => TransportFactory.ConnectAsync($"tcp://127.0.0.1:{port}").WaitAsync(HangGuard));
    }
}

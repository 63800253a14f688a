using System.Device.Spi;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Bus.Tests;

/// <summary>The <c>i2c:</c> and <c>spi:</c> link URIs (docs/transports.md section 7.8): what they mean, and a typed error for every bad one.</summary>
public sealed class BusLinkUriTests
{
    private static BusLinkSchemes.BusUri Parse(string text) => BusLinkSchemes.Parse(LinkUri.Parse(text));

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void I2cForms()
    {
        BusLinkSchemes.BusUri uri = Parse("i2c:/dev/i2c-1?address=0x42");
        Assert.False(uri.IsSpi);
        Assert.Equal(1, uri.BusNumber);
        Assert.Equal(0x42, uri.AddressOrChipSelect);
        Assert.Equal("/dev/i2c-1", uri.DevicePath);
        Assert.Equal(BusLinkOptions.Default.MaxTransfer, uri.Options.MaxTransfer);
        Assert.Equal("i2c:/dev/i2c-1?address=0x42", uri.Options.Name);
        Assert.Null(uri.ReadyPin);

        uri = Parse("i2c:3?address=66&maxTransfer=1024&readAhead=32&poll=2ms&idlePoll=100ms&offlineAfter=3s&ready=17&readyChip=1&readyActive=high");
        Assert.Equal(3, uri.BusNumber);
        Assert.Equal(66, uri.AddressOrChipSelect);
        Assert.Equal(1024, uri.Options.MaxTransfer);
        Assert.Equal(32, uri.Options.ReadAhead);
        Assert.Equal(TimeSpan.FromMilliseconds(2), uri.Options.BusyPollInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), uri.Options.IdlePollInterval);
        Assert.Equal(TimeSpan.FromSeconds(3), uri.Options.OfflineAfter);
        Assert.Equal(17, uri.ReadyPin);
        Assert.Equal(1, uri.ReadyChip);
        Assert.Equal(System.Device.Gpio.PinValue.High, uri.ReadyActive);

        uri = Parse("i2c:my-bus_2?address=0x08");
        Assert.Equal("my-bus_2", uri.EmulatedName);
        Assert.Null(uri.BusNumber);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void SpiForms()
    {
        BusLinkSchemes.BusUri uri = Parse("spi:/dev/spidev0.1?mode=3&speed=8000000");
        Assert.True(uri.IsSpi);
        Assert.Equal(0, uri.BusNumber);
        Assert.Equal(1, uri.AddressOrChipSelect);
        Assert.Equal(SpiMode.Mode3, uri.Mode);
        Assert.Equal(8_000_000, uri.Speed);
        Assert.Equal("/dev/spidev0.1", uri.DevicePath);

        uri = Parse("spi:1.0");
        Assert.Equal((1, 0, SpiMode.Mode0, 1_000_000), (uri.BusNumber!.Value, uri.AddressOrChipSelect, uri.Mode, uri.Speed));

        uri = Parse("spi:bench.2?maxTransfer=4090");
        Assert.Equal(("bench", 2, 4090), (uri.EmulatedName!, uri.AddressOrChipSelect, uri.Options.MaxTransfer));
    }

    [Theory]
    [InlineData("i2c:/dev/i2c-1", "address is missing")]
    [InlineData("i2c:/dev/i2c-1?address=0x78", "0x78 is not a device address")]
    [InlineData("i2c:/dev/i2c-1?address=0x03", "reserved by the I2C specification")]
    [InlineData("i2c:/dev/i2c-1?address=0x142", "10-bit addresses are not supported")]
    [InlineData("i2c:/dev/i2c-1?address=0xZZ", "'0xZZ' is not a number")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&adress=1", "unknown parameter 'adress'")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&mode=0", "unknown parameter 'mode'")]
    [InlineData("i2c:/dev/i2c-x?address=0x42", "'x' is not a bus number")]
    [InlineData("i2c:/dev/ttyUSB0?address=0x42", "is not an I2C bus")]
    [InlineData("i2c:?address=0x42", "the bus is missing")]
    [InlineData("i2c://host/dev?address=0x42", "an I2C URI has the form")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&maxTransfer=0", "'maxTransfer' is 0, outside 1..8192")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&readAhead=300", "'readAhead' is 300, outside 0..256")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&poll=50ms&idlePoll=10ms", "idlePoll (10 ms) is shorter than poll (50 ms)")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&readyActive=low", "need ready=LINE")]
    [InlineData("i2c:/dev/i2c-1?address=0x42&ready=5&readyActive=up", "readyActive 'up' is not low or high")]
    [InlineData("spi:/dev/spidev0.0?mode=4", "'mode' is 4, outside 0..3")]
    [InlineData("spi:/dev/spidev0.0?speed=10", "'speed' is 10, outside 1000..100000000")]
    [InlineData("spi:/dev/spidev0.0?address=0x42", "unknown parameter 'address'")]
    [InlineData("spi:/dev/spidev0?mode=0", "is not an SPI device")]
    [InlineData("spi:/dev/spidevX.0", "is not an SPI device")]
    [InlineData("spi:0.300", "is not an SPI device")]
    [InlineData("spi:/dev/spidev0.0?maxTransfer=5000", "'maxTransfer' is 5000, outside 1..4090")]
    [Trait("Requirement", "REQ-TOPO")]
    public void BadUris_AreLinkUriExceptions_ThatSayWhatIsWrong(string text, string problem)
    {
        var e = Assert.Throws<LinkUriException>(() => Parse(text));
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.Equal(text, e.Uri);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task ABusDeviceThatDoesNotExist_IsABusOpenException_ThatListsTheBusesThereAre()
    {
        BusLinkSchemes.Register();
        var e = await Assert.ThrowsAsync<BusOpenException>(() => TransportFactory.ConnectAsync("i2c:/dev/i2c-93?address=0x42"));
        Assert.Equal(BusOpenError.NotFound, e.Error);
        Assert.Equal("/dev/i2c-93", e.Bus);
        Assert.Matches(@"the I2C bus device /dev/i2c-93 does not exist \(I2C devices on this machine: ", e.Message);
        Assert.IsAssignableFrom<TransportConnectException>(e);
        e = await Assert.ThrowsAsync<BusOpenException>(() => TransportFactory.ConnectAsync("spi:/dev/spidev7.3?mode=0"));
        Assert.Equal(BusOpenError.NotFound, e.Error);
        Assert.Contains("SPI devices on this machine", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<BusOpenException>(() => TransportFactory.ConnectAsync("i2c:no-such-emulated-bus?address=0x42"));
        Assert.Equal(BusOpenError.NotFound, e.Error);
        Assert.Contains("no emulated I2C bus is published as 'no-such-emulated-bus'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task APublishedEmulatedBus_IsOpenedByItsUri_WithTheUriAsTheLinkName_AndItsReadyLine()
    {
        using var bus = new EmulatedI2cBus();
        using IDisposable name = bus.Publish("uri-test-bus");
        BusSlave slave = bus.AttachSlave(0x33, readyPin: 4);
        slave.PowerOn();
        await using ILinkTransport link = await TransportFactory.ConnectAsync("i2c:uri-test-bus?address=0x33&ready=4");
        var bus2 = Assert.IsType<BusLinkTransport>(link);
        Assert.Equal("i2c:uri-test-bus?address=0x33&ready=4", link.Name);
        await slave.Transport.Output.WriteAsync(new byte[] { 1, 2, 3 });
        var result = await link.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(new byte[] { 1, 2, 3 }, System.Buffers.BuffersExtensions.ToArray(result.Buffer));
        Assert.True(bus2.IsDeviceAnswering);
        Assert.Throws<ArgumentException>(() => bus.Publish("uri-test-bus"));
        Assert.Throws<ArgumentException>(() => bus.Publish("1bad"));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task TheSchemesAreThere_WithoutAnExplicitRegistration_AndRegisterPutsThemBackAfterRemoval()
    {
        // The data link core loads this package on the first i2c:/spi: URI; in this process it may have happened already.
        var e = await Assert.ThrowsAsync<BusOpenException>(() => TransportFactory.ConnectAsync("spi:/dev/spidev9.9"));
        Assert.Equal(BusOpenError.NotFound, e.Error);
        Assert.Contains("i2c", TransportFactory.RegisteredSchemes);
        Assert.Contains("spi", TransportFactory.RegisteredSchemes);
        lock (typeof(BusLinkSchemes))
        {
            TransportFactory.UnregisterScheme("spi");
            BusLinkSchemes.Register();
            Assert.True(TransportFactory.IsSchemeRegistered("spi"));
        }
    }
}

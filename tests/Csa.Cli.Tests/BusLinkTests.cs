using System.Text.Json;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// I2C and SPI links in <c>csa</c>: <c>sim:i2c</c> / <c>sim:spi</c> build an emulated bus in the process, <c>i2c:</c> /
/// <c>spi:</c> open a real one (docs/transports.md section 7, docs/cli.md).
/// </summary>
public sealed class BusLinkTests : PersistedBenchTests
{
    [Theory]
    [InlineData("i2c", "i2c:sim?address=0x10", "i2c:sim?address=0x12")]
    [InlineData("spi", "spi:sim.0?mode=0&speed=8000000", "spi:sim.2?mode=0&speed=8000000")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Devices_OnAnEmulatedBus_AreOneLinkEach(string topology, string firstLink, string lastLink)
    {
        CliRun run = await CliRunner.RunAsync("devices", "--json", "--link", $"sim:{topology}?devices=3&timing=instant");
        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        JsonElement[] devices = run.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal(3, devices.Length);
        Assert.Equal(firstLink, devices[0].GetProperty("link").GetString());
        Assert.Equal(lastLink, devices[2].GetProperty("link").GetString());
        Assert.Equal(3, devices.Select(d => d.GetProperty("address").GetString()).Distinct().Count());
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Update_OverAnI2cBusWithReadyLines_RunsTheNewVersion()
    {
        string link = await CreateAsync(2) + "&topology=i2c&clock=1000000&ready=true";
        string image = await DeviceTestKit.WriteImageAsync(Path.Combine(Scratch, "app.csai"), KeyFile, 1, new FirmwareVersion(2, 0, 0, 3));

        CliRun update = await CliRunner.RunAsync("update", image, "--link", link, "--device", "0x21");
        Assert.True(update.ExitCode == ExitCodes.Success, update.ToString());

        CliRun info = await CliRunner.RunAsync("info", "--json", "--link", link, "--all");
        JsonElement[] devices = info.Json().GetProperty("devices").EnumerateArray().ToArray();
        Assert.Equal("1.0.0+0", devices[0].GetProperty("application").GetString());
        Assert.Equal("2.0.0+3", devices[1].GetProperty("application").GetString());
        Assert.Equal("i2c:sim?address=0x11", devices[1].GetProperty("link").GetString());
    }

    [Theory]
    [InlineData("i2c:/dev/i2c-91?address=0x42", "the I2C bus device /dev/i2c-91 does not exist")]
    [InlineData("spi:/dev/spidev9.1?mode=0&speed=1000000", "the SPI bus device /dev/spidev9.1 does not exist")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task ABusThatDoesNotExist_IsExit5_NamingIt(string uri, string message)
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", uri);
        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("i2c:/dev/i2c-1?address=0x7A", "0x7A is not a device address")]
    [InlineData("i2c:/dev/i2c-1", "address is missing")]
    [InlineData("spi:/dev/spidev0.0?mode=5", "'mode' is 5, outside 0..3")]
    [InlineData("sim:i2c?devices=2&baud=9600", "an I2C bus has clock= instead")]
    [InlineData("sim:chain?devices=2&clock=400000", "clock= and ready= belong to the i2c and spi topologies")]
    [InlineData("sim:i2c?devices=2&clock=9000000", "an I2C clock is 1000..5000000 Hz")]
    [InlineData("sim:spi?ready=maybe", "ready 'maybe' is not true or false")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task BadBusLinks_AreUsageErrors(string uri, string message)
    {
        CliRun run = await CliRunner.RunAsync("devices", "--link", uri);
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task CsaSim_DoesNotServeABus_AndSaysWhatToDoInstead()
    {
        CliRun run = await CliRunner.RunAsync("sim", "--tcp", "0", "--devices", "2", "--topology", "i2c");
        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--link 'sim:i2c?devices=N'", run.Error, StringComparison.Ordinal);
    }
}

using System.Device.Spi;
using System.Net;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;

namespace Csa.Simulator.Tests.Device;

/// <summary>
/// Commands that restart the device answer before the restart: the answer must leave the device's UART before the
/// reset cuts it off, however short the requested delay, on a slow line too.
/// </summary>
public sealed class ResetAnswerTests
{
    // One send only: a lost answer must show as a timeout, not be hidden by a resend that reaches the restarted device.
    private static readonly RpcCallOptions Once = new() { MaxAttempts = 1, Timeout = TimeSpan.FromSeconds(10) };

    private static VirtualDevice Device(int index) =>
        CreateDevice(index, options: new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false });

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task EnterBootloader_and_Reset_with_no_delay_are_answered_every_time_over_a_115200_baud_line()
    {
        var line = new EmulatedChannelOptions { BaudRate = 115_200, Latency = TimeSpan.FromMilliseconds(1) };
        await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(1, Device, VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(line)));
        await using TestHost host = TestHost.Create();
        host.Add(chain.HostPorts[0]);
        var member = (await host.EnumerateAsync()).Single();
        VirtualDevice device = chain.Devices[0];
        using var client = new DeviceClient(host.Client, member.Address);

        for (int round = 0; round < 5; round++)
        {
            Task inBootloader = StateWatch.NextAsync(device, VirtualDeviceState.Bootloader);
            await client.EnterBootloaderAsync(new EnterBootloaderRequest(0), Once).WaitAsync(HangGuard);
            await inBootloader;

            Task inApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
            await client.ResetAsync(new ResetRequest(ResetMode.Normal, 0), Once).WaitAsync(HangGuard);
            await inApplication;
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task An_application_served_over_TCP_restarts_into_its_bootloader_after_answering_EnterBootloader()
    {
        VirtualDevice device = Device(0);
        await using TcpDeviceServer server = VirtualDeviceHost.ServeTcp(device, new IPEndPoint(IPAddress.Loopback, 0));
        await device.PowerOnAsync();
        await using TestHost host = TestHost.Create();
        host.Add(await TransportFactory.ConnectAsync(server.Uri).WaitAsync(HangGuard));
        ChainMember member = Assert.Single(await host.EnumerateAsync());
        using var client = new DeviceClient(host.Client, member.Address);
        Assert.Equal(ImageKind.Application, (await client.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);

        Task inBootloader = StateWatch.NextAsync(device, VirtualDeviceState.Bootloader);
        await client.EnterBootloaderAsync(new EnterBootloaderRequest(30), Once).WaitAsync(HangGuard);
        await inBootloader;
        // The reset keeps the address and the TCP connection: the bootloader answers the same host at once.
        Assert.Equal(ImageKind.Bootloader, (await client.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);
        await device.DisposeAsync();
    }

    [Theory]
    [InlineData("i2c")]
    [InlineData("spi")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task On_a_bus_the_answer_waits_in_the_slaves_queue_and_the_restart_waits_until_the_master_has_read_it(string kind)
    {
        // The answer sits in the bus slave's outbound queue (RAM) until the master polls it; a restart that did not wait
        // for that would lose it with the RAM.
        using var i2c = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 100_000 });
        using var spi = new EmulatedSpiBus();
        VirtualLinkFactory links = kind == "i2c" ? VirtualLinks.I2cBus(i2c) : VirtualLinks.SpiBus(spi, 1_000_000, SpiMode.Mode0);
        await using VirtualDeviceHost star = await VirtualDeviceHost.CreateStarAsync(1, Device, links);
        await using TestHost host = TestHost.Create();
        host.Add(star.HostPorts[0]);
        var member = (await host.EnumerateAsync()).Single();
        VirtualDevice device = star.Devices[0];
        using var client = new DeviceClient(host.Client, member.Address);

        for (int round = 0; round < 3; round++)
        {
            Task inBootloader = StateWatch.NextAsync(device, VirtualDeviceState.Bootloader);
            await client.EnterBootloaderAsync(new EnterBootloaderRequest(0), Once).WaitAsync(HangGuard);
            await inBootloader;

            Task inApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
            await client.ResetAsync(new ResetRequest(ResetMode.Normal, 0), Once).WaitAsync(HangGuard);
            await inApplication;
        }
        BusLinkTransport link = (BusLinkTransport)star.HostPorts[0];
        // The power-on and the restarts, each announced by the reset flag (the last may not have been polled yet).
        Assert.True(link.Counters.DeviceResets >= 6, $"{link.Counters.DeviceResets} restarts seen");
    }
}

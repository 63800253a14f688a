using System.IO.Pipelines;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Hosting;

namespace Csa.Simulator.Tests.Hosting;

/// <summary>
/// A board whose USB serial bridge it powers itself: the port exists while the device has its supply, its host end
/// closes when the supply goes, and a reset (which keeps the supply) leaves it open.
/// </summary>
[Trait("Requirement", "REQ-RECOVER")]
[Trait("Requirement", "REQ-TOPO")]
public sealed class UsbSerialDevicePortTests
{
    [Fact]
    public async Task The_host_end_closes_when_the_power_is_cut_the_port_is_gone_while_off_and_opens_again_after_power_on()
    {
        using CancellationTokenSource guard = DeviceKit.Guard();
        await using VirtualDevice device = DeviceKit.Device(DeviceKit.Profile(1));
        await using UsbSerialDevicePort port = UsbSerialDevicePort.Attach(device);
        await device.PowerOnAsync(guard.Token);
        await AnswersAsync(await port.OpenAsync(guard.Token), guard.Token);
        ILinkTransport open = await port.OpenAsync(guard.Token);

        await device.CutPowerAsync();

        ReadResult end = await open.Input.ReadAsync(guard.Token);
        Assert.True(end.IsCompleted, "the host end did not see the port go");
        SerialPortException gone = await Assert.ThrowsAsync<SerialPortException>(() => port.OpenAsync(guard.Token));
        Assert.Equal(SerialPortError.NotFound, gone.Error);
        Assert.Contains("no power", gone.Message);
        await open.DisposeAsync();

        await device.PowerOnAsync(guard.Token);
        await AnswersAsync(await port.OpenAsync(guard.Token), guard.Token);
        Assert.Equal(4, port.Opens);
    }

    [Fact]
    public async Task A_reset_keeps_the_port_and_opening_it_again_ends_the_previous_connection()
    {
        using CancellationTokenSource guard = DeviceKit.Guard();
        await using VirtualDevice device = DeviceKit.Device(DeviceKit.Profile(2));
        await using UsbSerialDevicePort port = UsbSerialDevicePort.Attach(device);
        await device.PowerOnAsync(guard.Token);
        await using DataLinkNode host = new(new DataLinkNodeOptions { LinkManagementTimeout = DeviceKit.HangGuard });
        NodeLink link = host.AddLink(await port.OpenAsync(guard.Token), LinkRole.Downstream);
        Assert.Single(await host.EnumerateChainAsync(link, NodeAddress.FirstDevice, maxDevices: 1, guard.Token));

        await device.ResetAsync(ResetMode.Normal, guard.Token);

        Assert.True(link.IsOpen, "a reset closed the port");
        // The same link still reaches the device.
        Assert.Equal(new NodeAddress(NodeAddress.FirstDevice), (await host.EnumerateChainAsync(link, NodeAddress.FirstDevice, maxDevices: 1, guard.Token))[0].Address);

        ILinkTransport again = await port.OpenAsync(guard.Token);
        await link.Completion.WaitAsync(guard.Token);
        Assert.False(link.IsOpen);
        await again.DisposeAsync();
        Assert.Throws<InvalidOperationException>(() => UsbSerialDevicePort.Attach(device)); // the upstream port is taken
    }

    /// <summary>The device behind <paramref name="hostEnd"/> (which a node takes over and closes) is enumerated and answers GetIdentity.</summary>
    private static async Task AnswersAsync(ILinkTransport hostEnd, CancellationToken cancellationToken)
    {
        await using var node = new DataLinkNode(new DataLinkNodeOptions { LinkManagementTimeout = DeviceKit.HangGuard });
        NodeLink link = node.AddLink(hostEnd, LinkRole.Downstream);
        ChainMember member = (await node.EnumerateChainAsync(link, NodeAddress.FirstDevice, maxDevices: 1, cancellationToken)).Single();
        await using var rpc = new Csa.Rpc.RpcClient(node.OpenSocket(WellKnownPorts.Rpc), new Csa.Rpc.RpcClientOptions { OwnsSocket = true });
        using var client = new DeviceClient(rpc, member.Address);
        Assert.StartsWith("Pump", (await client.GetIdentityAsync(new GetIdentityRequest(), cancellationToken: cancellationToken)).ProductName);
    }
}

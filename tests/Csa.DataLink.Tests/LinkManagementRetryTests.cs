using Csa.DataLink.Tests.Support;
using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests;

/// <summary>Capabilities and echo requests are resent over a lossy line; address assignment is not (protocol.md 7.4).</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-RECOVER")]
public class LinkManagementRetryTests
{
    private static (DataLinkNode Host, DataLinkNode Device, EmulatedLink Link) Pair(TestNetwork network, double loss, int attempts)
    {
        DataLinkNode host = network.Node(NodeAddress.Host, o => o with { LinkManagementTimeout = TimeSpan.FromMilliseconds(200), LinkManagementAttempts = attempts });
        DataLinkNode device = network.Node(new NodeAddress(0x05));
        var channel = new EmulatedChannelOptions { BaudRate = 1_000_000 };
        var link = EmulatedLink.CreatePair(new EmulatedLinkOptions
        {
            AToB = channel with { FrameLossProbability = loss },
            BToA = channel,
            Seed = 11,
        });
        host.AddLink(link.A, LinkRole.Downstream);
        device.AddLink(link.B, LinkRole.Upstream);
        return (host, device, link);
    }

    [Fact]
    public async Task A_capabilities_request_lost_on_the_line_is_sent_again_until_answered()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode device, EmulatedLink link) = Pair(network, loss: 0.6, attempts: 40);

        for (int i = 0; i < 5; i++)
            Assert.True(await host.PingAsync(device.LocalAddress, TestNetwork.Guard()) >= TimeSpan.Zero);
        NodeCapabilities capabilities = await host.GetCapabilitiesAsync(device.LocalAddress, TestNetwork.Guard());

        Assert.Equal(device.Capabilities, capabilities);
        Assert.True(link.AToBCounters.FramesDropped > 0, "no request was lost, so no resend was tested");
        await link.DisposeAsync();
    }

    [Fact]
    public async Task With_every_request_lost_the_node_is_reported_unreachable_after_the_configured_attempts()
    {
        await using var network = new TestNetwork();
        (DataLinkNode host, DataLinkNode device, EmulatedLink link) = Pair(network, loss: 1.0, attempts: 3);

        var error = await Assert.ThrowsAsync<NodeUnreachableException>(() => host.GetCapabilitiesAsync(device.LocalAddress, TestNetwork.Guard()));

        Assert.Contains("3 attempt(s)", error.Message);
        Assert.Equal(3, link.AToBCounters.FramesDropped);
        await link.DisposeAsync();
    }
}

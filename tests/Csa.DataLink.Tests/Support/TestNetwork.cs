using Csa.DataLink.Transports;

namespace Csa.DataLink.Tests.Support;

/// <summary>Builds nodes and links for topology tests and disposes them all at the end.</summary>
public sealed class TestNetwork : IAsyncDisposable
{
    /// <summary>A hang guard, not a timing assertion.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly List<DataLinkNode> _nodes = [];

    public DataLinkNode Node(NodeAddress address, Func<DataLinkNodeOptions, DataLinkNodeOptions>? configure = null)
    {
        // Answers that must come get the hang guard, so a loaded machine cannot turn them into timeouts; tests
        // that wait for a missing answer set a shorter timeout themselves.
        var options = new DataLinkNodeOptions { LocalAddress = address, LinkManagementTimeout = HangGuard };
        options = configure?.Invoke(options) ?? options;
        var node = new DataLinkNode(options);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Connects <paramref name="upper"/> (downstream role) to <paramref name="lower"/> (upstream role).</summary>
    public static (NodeLink Upper, NodeLink Lower) Connect(DataLinkNode upper, DataLinkNode lower, string name = "link")
    {
        (InMemoryTransport a, InMemoryTransport b) = InMemoryTransport.CreatePair(name);
        return (upper.AddLink(a, LinkRole.Downstream), lower.AddLink(b, LinkRole.Upstream));
    }

    /// <summary>The host and <paramref name="count"/> devices in a daisy chain: host → d[0] → d[1] → ….</summary>
    public (DataLinkNode Host, DataLinkNode[] Devices, NodeLink HostLink) Chain(int count, bool assigned, Func<DataLinkNodeOptions, DataLinkNodeOptions>? configure = null)
    {
        DataLinkNode host = Node(NodeAddress.Host, configure);
        var devices = new DataLinkNode[count];
        NodeLink? hostLink = null;
        DataLinkNode previous = host;
        for (int i = 0; i < count; i++)
        {
            devices[i] = Node(assigned ? new NodeAddress((byte)(i + 1)) : NodeAddress.Unassigned, configure);
            (NodeLink upper, _) = Connect(previous, devices[i], $"chain-{i}");
            hostLink ??= upper;
            previous = devices[i];
        }
        return (host, devices, hostLink!);
    }

    public static CancellationToken Guard() => new CancellationTokenSource(HangGuard).Token;

    public static async Task<InboundPacket> ReceiveAsync(IPacketSocket socket)
        => await socket.Inbound.ReadAsync(Guard());

    public async ValueTask DisposeAsync()
    {
        foreach (DataLinkNode node in _nodes)
            await node.DisposeAsync();
    }
}

namespace Csa.DataLink;

public sealed partial class DataLinkNode
{
    // Indexed by node address: lock-free reads on the frame path, writes are single reference stores.
    private readonly NodeLink?[] _staticRoutes = new NodeLink?[AddressCount];
    private readonly NodeLink?[] _learntRoutes = new NodeLink?[AddressCount];
    private readonly NodeCapabilities?[] _capabilities = new NodeCapabilities?[AddressCount];
    private readonly int[] _pathFrameLimits = new int[AddressCount];

    /// <summary>
    /// Sends everything for <paramref name="node"/> out of <paramref name="link"/>, whatever was learnt; null removes
    /// the explicit route (learnt routes and flooding apply again).
    /// </summary>
    /// <exception cref="ArgumentException">The address is not the host or a device address, or the link is not this node's.</exception>
    public void SetRoute(NodeAddress node, NodeLink? link)
    {
        if (!node.IsDevice && node != NodeAddress.Host)
            throw new ArgumentException($"Only the host and device addresses 0x01..0xEF can be routed; {node} cannot.", nameof(node));
        if (link is not null && !ReferenceEquals(link.Node, this))
            throw new ArgumentException("The link does not belong to this node.", nameof(link));
        Volatile.Write(ref _staticRoutes[node.Value], link);
    }

    /// <summary>The link frames for <paramref name="node"/> leave by, or null if the node would be flooded to.</summary>
    public NodeLink? GetRoute(NodeAddress node)
        => node.IsDevice || node == NodeAddress.Host ? RouteTo(node) : null;

    private NodeLink? RouteTo(NodeAddress node)
        => Volatile.Read(ref _staticRoutes[node.Value]) ?? Volatile.Read(ref _learntRoutes[node.Value]);

    /// <summary>
    /// Cancelled when the link that carries frames to <paramref name="node"/> closes: its route, or this node's only
    /// link; <see cref="CancellationToken.None"/> when no one link carries them (a broadcast, a node flooded to over
    /// several links).
    /// </summary>
    internal CancellationToken RouteClosedToken(NodeAddress node)
    {
        if ((node.IsDevice || node == NodeAddress.Host) && RouteTo(node) is { } route)
            return route.ClosedToken;
        NodeLink[] links = Volatile.Read(ref _links);
        return node != NodeAddress.Broadcast && links.Length == 1 ? links[0].ClosedToken : CancellationToken.None;
    }

    /// <summary>A frame from <paramref name="source"/> came in on <paramref name="link"/>, so replies go back that way.</summary>
    private void Learn(NodeAddress source, NodeLink link)
    {
        if ((!source.IsDevice && source != NodeAddress.Host) || source == LocalAddress)
            return;
        if (!ReferenceEquals(Volatile.Read(ref _learntRoutes[source.Value]), link))
            Volatile.Write(ref _learntRoutes[source.Value], link);
    }

    /// <summary>Drops what was learnt about the nodes behind <paramref name="link"/> (all links when null).</summary>
    private void ForgetLearnt(NodeLink? link)
    {
        for (int address = 0; address < AddressCount; address++)
        {
            if (link is not null && !ReferenceEquals(Volatile.Read(ref _learntRoutes[address]), link))
                continue;
            Volatile.Write(ref _learntRoutes[address], null);
            Volatile.Write(ref _capabilities[address], null);
            Volatile.Write(ref _pathFrameLimits[address], 0);
        }
    }

    /// <summary>
    /// The largest frame that may go to <paramref name="node"/>: the smallest of this node's own limit, the node's
    /// advertised limit and the path limit (every forwarder's limit, known from enumeration, or the limit the node
    /// itself named in a request). The protocol minimum while neither is known.
    /// </summary>
    internal int GetPathFrameSize(NodeAddress node)
    {
        int size = Math.Min(_maxFrameSize, DataLinkProtocol.MaximumMaxFrameSize);
        if (node.IsGroup && Volatile.Read(ref _pathFrameLimits[node.Value]) is > 0 and int groupLimit)
            return Math.Min(size, groupLimit); // the members' smallest path, as the sender set it (SetGroupPath)
        if (!node.IsDevice && node != NodeAddress.Host)
            return Math.Min(size, DataLinkProtocol.MinimumMaxFrameSize);
        NodeCapabilities? capabilities = Volatile.Read(ref _capabilities[node.Value]);
        int path = Volatile.Read(ref _pathFrameLimits[node.Value]);
        if (capabilities is null && path == 0)
            return Math.Min(size, DataLinkProtocol.MinimumMaxFrameSize);
        if (capabilities is not null)
            size = Math.Min(size, capabilities.MaxFrameSize);
        return path == 0 ? size : Math.Min(size, path);
    }
}

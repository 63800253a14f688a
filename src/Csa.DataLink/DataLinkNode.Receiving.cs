using Csa.DataLink.Internal;

namespace Csa.DataLink;

public sealed partial class DataLinkNode
{
    ValueTask ILinkFrameHandler.OnFrameAsync(LinkConnection connection, DecodedFrame frame, LinkConnection? cutThroughTo)
    {
        NodeLink link = connection.Owner!;
        FrameHeader header = frame.Header;
        Learn(header.Source.Node, link);

        NodeAddress destination = header.Destination.Node;
        bool consumed = IsConsumedHere(destination);
        // A broadcast, and a frame for a group this node joined, is delivered and forwarded too.
        if (consumed || destination == NodeAddress.Broadcast || (destination.IsGroup && IsMemberOf(destination)))
            Receive(link, header, frame.Payload.Span);
        // A frame passed on while it arrived (cut-through) has gone already; it was counted on its outgoing link.
        return consumed || cutThroughTo is not null ? default : ForwardAsync(link, header, frame.Payload);
    }

    /// <summary>
    /// A frame for this node, or for the unassigned address while this node is unassigned: the first unassigned node a
    /// frame for 0xFE meets consumes it, which is how enumeration reaches exactly one fresh device at a time.
    /// </summary>
    private bool IsConsumedHere(NodeAddress destination)
    {
        NodeAddress local = LocalAddress;
        return destination == local || (destination == NodeAddress.Unassigned && local == NodeAddress.Unassigned);
    }

    /// <summary>
    /// Cut-through (protocol.md 6.3.1): decided from the header alone, by the rules of <see cref="ForwardAsync"/>. Only
    /// a frame that goes to exactly one link is passed on while it arrives; the rest waits for its end as before, and
    /// nothing is counted here: a frame is judged (and a drop counted) only once its CRC is known.
    /// </summary>
    LinkConnection? ILinkFrameHandler.ChooseCutThroughLink(LinkConnection connection, in FrameHeader header)
    {
        NodeLink from = connection.Owner!;
        if (IsConsumedHere(header.Destination.Node))
            return null;
        NodeLink[] links = Volatile.Read(ref _links);
        if (!TryPlanForwarding(from, header, links, out NodeLink? route, out _))
            return null;
        NodeLink? only = null;
        foreach (NodeLink link in links)
        {
            if (!IsForwardedTo(from, link, header.Destination.Node, route))
                continue;
            if (only is not null)
                return null; // several links: stored and forwarded to each
            only = link;
        }
        return only?.Connection;
    }

    /// <summary>
    /// Rules 1-3 of protocol.md 6.3: false (and why, for unicast) if the frame goes nowhere. <paramref name="route"/>
    /// is the destination's route, if it has one.
    /// </summary>
    private bool TryPlanForwarding(NodeLink from, in FrameHeader header, NodeLink[] links, out NodeLink? route, out FrameDropReason? dropped)
    {
        NodeAddress destination = header.Destination.Node;
        bool broadcast = IsFlooded(destination);
        route = null;
        dropped = null;
        if (links.Length <= 1)
        {
            if (!broadcast)
                dropped = FrameDropReason.NotForThisNode;
            return false;
        }
        route = destination.IsDevice || destination == NodeAddress.Host ? RouteTo(destination) : null;
        if (route is not null && (ReferenceEquals(route, from) || !route.IsOpen))
        {
            dropped = ReferenceEquals(route, from) ? FrameDropReason.NotForThisNode : FrameDropReason.NoRoute;
            return false;
        }
        if (header.HopLimit <= 1)
        {
            dropped = FrameDropReason.HopLimitExceeded;
            return false;
        }
        return true;
    }

    /// <summary>
    /// A broadcast, and a group frame, which goes on like one: members further down the chain need it whether or not
    /// this node took it. Going nowhere further is no drop for them.
    /// </summary>
    private static bool IsFlooded(NodeAddress destination) => destination == NodeAddress.Broadcast || destination.IsGroup;

    /// <summary>Rule 4 of protocol.md 6.3: whether a frame for <paramref name="destination"/> from <paramref name="from"/> goes out of <paramref name="link"/>.</summary>
    private static bool IsForwardedTo(NodeLink from, NodeLink link, NodeAddress destination, NodeLink? route)
    {
        if (ReferenceEquals(link, from) || !link.IsOpen)
            return false;
        if (route is not null && !ReferenceEquals(link, route))
            return false;
        return destination != NodeAddress.Unassigned || link.Role == LinkRole.Downstream;
    }

    private void Receive(NodeLink link, in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        byte port = header.Destination.Port;
        if (port != WellKnownPorts.LinkManagement && Volatile.Read(ref _sockets[port]) is null)
        {
            // Nobody listens: do not spend a reassembly buffer on it.
            if (header.Destination.Node != NodeAddress.Broadcast && !header.Destination.Node.IsGroup)
                Drop(link, FrameDropReason.PortNotBound, header.Destination);
            return;
        }

        byte[]? packet;
        if (header.FragmentIndex == 0 && header.IsLastFragment)
        {
            if (payload.Length > _maxPacketSize)
            {
                Drop(link, FrameDropReason.PacketTooLarge, header.Destination);
                return;
            }
            packet = payload.ToArray();
        }
        else
        {
            packet = link.Reassembler.Accept(header, payload);
            if (packet is null)
                return;
        }
        DeliverPacket(link, header.Source, header.Destination, packet);
    }

    /// <summary>Hands a whole packet to link management or to the socket bound on its port.</summary>
    private void DeliverPacket(NodeLink? link, Endpoint source, Endpoint destination, byte[] packet)
    {
        DataLinkCounters counters = link?.Counters ?? Counters;
        if (destination.Port == WellKnownPorts.LinkManagement)
        {
            counters.AddPacketReceived();
            HandleLinkManagement(link, source, destination, packet);
            return;
        }
        PacketSocket? socket = Volatile.Read(ref _sockets[destination.Port]);
        if (socket is null)
        {
            if (destination.Node != NodeAddress.Broadcast && !destination.Node.IsGroup)
                Drop(link, FrameDropReason.PortNotBound, destination);
            return;
        }
        // Counted before the hand-over so a reader that got the packet also sees it counted.
        counters.AddPacketReceived();
        if (!socket.TryDeliver(new InboundPacket(source, destination, packet)))
            Drop(link, FrameDropReason.SocketQueueFull, destination);
    }

    /// <summary>
    /// Passes a frame that is not (only) for this node on: along its route, or out of every other link when there
    /// is none (broadcast and unknown destinations; unassigned only downstream). Awaiting the write gives
    /// back-pressure: a slow next link slows this link's reading instead of filling memory.
    /// </summary>
    private async ValueTask ForwardAsync(NodeLink from, FrameHeader header, ReadOnlyMemory<byte> payload)
    {
        NodeLink[] links = Volatile.Read(ref _links);
        NodeAddress destination = header.Destination.Node;
        bool broadcast = IsFlooded(destination);
        if (!TryPlanForwarding(from, header, links, out NodeLink? route, out FrameDropReason? dropped))
        {
            if (dropped is { } reason)
                Drop(from, reason, header.Destination);
            return;
        }

        FrameHeader forwarded = header with { HopLimit = (byte)(header.HopLimit - 1) };
        int sent = 0;
        foreach (NodeLink link in links)
        {
            if (!IsForwardedTo(from, link, destination, route))
                continue;
            try
            {
                await link.Connection.SendFrameAsync(forwarded, payload, _disposing.Token).ConfigureAwait(false);
                link.Counters.AddForwarded();
                sent++;
            }
            catch (Exception ex) when (ex is DataLinkException or OperationCanceledException)
            {
                DataLinkLog.ForwardFailed(_logger, header.Destination, link.Name, ex);
            }
        }
        if (sent == 0 && !broadcast)
            Drop(from, FrameDropReason.NoRoute, header.Destination);
    }
}

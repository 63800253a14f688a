using Csa.DataLink.Internal;

namespace Csa.DataLink;

public sealed partial class DataLinkNode
{
    ValueTask ILinkFrameHandler.OnFrameAsync(LinkConnection connection, DecodedFrame frame)
    {
        NodeLink link = connection.Owner!;
        FrameHeader header = frame.Header;
        Learn(header.Source.Node, link);

        NodeAddress local = LocalAddress;
        NodeAddress destination = header.Destination.Node;
        // A frame for the unassigned address is consumed by the first unassigned node it meets: that is how
        // enumeration reaches exactly one fresh device at a time.
        bool consumed = destination == local || (destination == NodeAddress.Unassigned && local == NodeAddress.Unassigned);
        // A broadcast, and a frame for a group this node joined, is delivered and forwarded too.
        if (consumed || destination == NodeAddress.Broadcast || (destination.IsGroup && IsMemberOf(destination)))
            Receive(link, header, frame.Payload.Span);
        return consumed ? default : ForwardAsync(link, header, frame.Payload);
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
        // A group frame goes on like a broadcast: members further down the chain need it whether or not this node took it.
        bool broadcast = destination == NodeAddress.Broadcast || destination.IsGroup;
        if (links.Length <= 1)
        {
            if (!broadcast)
                Drop(from, FrameDropReason.NotForThisNode, header.Destination);
            return;
        }

        NodeLink? route = destination.IsDevice || destination == NodeAddress.Host ? RouteTo(destination) : null;
        if (route is not null && (ReferenceEquals(route, from) || !route.IsOpen))
        {
            Drop(from, ReferenceEquals(route, from) ? FrameDropReason.NotForThisNode : FrameDropReason.NoRoute, header.Destination);
            return;
        }
        if (header.HopLimit <= 1)
        {
            Drop(from, FrameDropReason.HopLimitExceeded, header.Destination);
            return;
        }

        FrameHeader forwarded = header with { HopLimit = (byte)(header.HopLimit - 1) };
        int sent = 0;
        foreach (NodeLink link in links)
        {
            if (ReferenceEquals(link, from) || !link.IsOpen)
                continue;
            if (route is not null && !ReferenceEquals(link, route))
                continue;
            if (destination == NodeAddress.Unassigned && link.Role != LinkRole.Downstream)
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

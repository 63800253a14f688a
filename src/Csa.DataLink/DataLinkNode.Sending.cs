using System.Runtime.ExceptionServices;
using Csa.DataLink.Internal;

namespace Csa.DataLink;

public sealed partial class DataLinkNode
{
    /// <summary>
    /// Splits <paramref name="packet"/> into frames that fit the path to <paramref name="destination"/> and writes
    /// them, in order, to the link the route names (every candidate link when there is no route, or
    /// <paramref name="via"/> when given).
    /// </summary>
    internal async Task SendPacketAsync(byte sourcePort, Endpoint destination, ReadOnlyMemory<byte> packet, NodeLink? via, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        cancellationToken.ThrowIfCancellationRequested();
        NodeAddress local = LocalAddress;
        var source = new Endpoint(local, sourcePort);

        if (via is null && destination.Node == local && local != NodeAddress.Unassigned)
        {
            if (packet.Length > _maxPacketSize)
                throw new PacketTooLargeException(packet.Length, _maxPacketSize, destination);
            DeliverPacket(null, source, destination, packet.ToArray());
            return;
        }

        NodeLink[] targets = via is not null ? [via] : ResolveOutboundLinks(destination.Node);
        int perFrame = DataLinkProtocol.PayloadPerFrame(GetPathFrameSize(destination.Node));
        int fragments = packet.Length == 0 ? 1 : (packet.Length + perFrame - 1) / perFrame;
        if (fragments > DataLinkProtocol.MaxFragmentsPerPacket)
            throw new PacketTooLargeException(packet.Length, perFrame * DataLinkProtocol.MaxFragmentsPerPacket, destination);

        ushort packetId = (ushort)Interlocked.Increment(ref _nextPacketId);
        ExceptionDispatchInfo? firstFailure = null;
        int sent = 0;
        foreach (NodeLink link in targets)
        {
            try
            {
                for (int index = 0; index < fragments; index++)
                {
                    int offset = index * perFrame;
                    int length = Math.Min(perFrame, packet.Length - offset);
                    var header = new FrameHeader(destination, source, packetId, (byte)index, index == fragments - 1, _hopLimit);
                    await link.Connection.SendFrameAsync(header, packet.Slice(offset, length), cancellationToken).ConfigureAwait(false);
                }
                link.Counters.AddPacketSent();
                sent++;
            }
            catch (LinkClosedException ex) when (targets.Length > 1)
            {
                // Flooding: one dead link must not stop the others.
                firstFailure ??= ExceptionDispatchInfo.Capture(ex);
            }
        }
        if (sent == 0)
            firstFailure?.Throw();
    }

    private NodeLink[] ResolveOutboundLinks(NodeAddress destination)
    {
        if (destination.IsGroup && GroupLinks(destination) is { Length: > 0 } groupLinks)
            return groupLinks;
        if (destination.IsDevice || destination == NodeAddress.Host)
        {
            // A route to a closed link is kept on purpose: the send fails with the link's LinkClosedException
            // instead of vanishing into a flood.
            if (RouteTo(destination) is { } route)
                return [route];
        }

        NodeLink[] links = Volatile.Read(ref _links);
        NodeLink[] candidates = destination == NodeAddress.Unassigned
            ? Array.FindAll(links, l => l.IsOpen && l.Role == LinkRole.Downstream)
            : [];
        if (candidates.Length == 0)
            candidates = Array.FindAll(links, l => l.IsOpen);
        if (candidates.Length == 0)
        {
            if (Volatile.Read(ref _lastCloseReason) is { } closed)
                throw new LinkClosedException(closed.LinkName, $"Cannot reach {destination}: every link of this node is closed. {closed.Message}", closed.InnerException);
            throw new NodeUnreachableException(destination, $"Cannot reach {destination}: this node has no link; add one with AddLink.");
        }
        return candidates;
    }
}

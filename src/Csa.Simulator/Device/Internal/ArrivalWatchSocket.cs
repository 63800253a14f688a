using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Csa.DataLink;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The RPC port's socket, noting how many raw bytes the device's wires had delivered when each packet for this node
/// was taken from it (the RPC server takes every packet as it arrives, queueing commands behind a running one). The
/// difference to the wires' count now is how far the line has got into the next frame: what the bootloader's eraser
/// looks at before it starts an erase (device-model.md section 6.4.1), as a chip's receive DMA counter tells its
/// firmware how much of the next frame is in.
/// </summary>
internal sealed class ArrivalWatchSocket : IPacketSocket
{
    private readonly IPacketSocket _inner;
    private readonly Func<long> _bytesReceived;
    private readonly WatchedReader _inbound;
    private long _bytesAtLastPacket;

    public ArrivalWatchSocket(IPacketSocket inner, Func<long> bytesReceived)
    {
        _inner = inner;
        _bytesReceived = bytesReceived;
        _inbound = new WatchedReader(this, inner.Inbound);
    }

    /// <summary>The wires' delivered byte count when the last packet for this node was taken.</summary>
    public long BytesAtLastPacket => Volatile.Read(ref _bytesAtLastPacket);

    public Endpoint LocalEndpoint => _inner.LocalEndpoint;

    public ChannelReader<InboundPacket> Inbound => _inbound;

    public Task SendAsync(Endpoint destination, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default) =>
        _inner.SendAsync(destination, packet, cancellationToken);

    public Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default) =>
        _inner.GetCapabilitiesAsync(node, cancellationToken);

    public CancellationToken RouteClosedToken(NodeAddress destination) => _inner.RouteClosedToken(destination);

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private void Arrived() => Volatile.Write(ref _bytesAtLastPacket, _bytesReceived());

    private sealed class WatchedReader(ArrivalWatchSocket owner, ChannelReader<InboundPacket> inner) : ChannelReader<InboundPacket>
    {
        public override Task Completion => inner.Completion;

        public override bool TryRead([MaybeNullWhen(false)] out InboundPacket item)
        {
            if (!inner.TryRead(out item))
                return false;
            owner.Arrived();
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}

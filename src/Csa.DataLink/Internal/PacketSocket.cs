using System.Threading.Channels;

namespace Csa.DataLink.Internal;

/// <summary>A port bound on a <see cref="DataLinkNode"/>; a thin handle, the node does the work.</summary>
internal sealed class PacketSocket : IPacketSocket
{
    private readonly DataLinkNode _node;
    private readonly Channel<InboundPacket> _inbound;
    private int _disposed;

    public PacketSocket(DataLinkNode node, byte port, int capacity)
    {
        _node = node;
        Port = port;
        _inbound = Channel.CreateBounded<InboundPacket>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; the node counts the drop
            SingleReader = false,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public byte Port { get; }

    public Endpoint LocalEndpoint => new(_node.LocalAddress, Port);

    public ChannelReader<InboundPacket> Inbound => _inbound.Reader;

    internal bool TryDeliver(InboundPacket packet) => _inbound.Writer.TryWrite(packet);

    internal void Complete(Exception? error) => _inbound.Writer.TryComplete(error);

    public Task SendAsync(Endpoint destination, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
            return Task.FromException(new ObjectDisposedException(nameof(IPacketSocket), $"The socket on port {Port} was disposed."));
        return _node.SendPacketAsync(Port, destination, packet, via: null, cancellationToken);
    }

    public Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default)
        => _node.GetCapabilitiesAsync(node, cancellationToken);

    public CancellationToken RouteClosedToken(NodeAddress destination) => _node.RouteClosedToken(destination);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _node.Unbind(this);
            Complete(null);
        }
        return default;
    }
}

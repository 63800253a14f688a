using System.Threading.Channels;
using Csa.DataLink;

namespace Csa.Rpc.Tests.Support;

/// <summary>A socket of a <see cref="FakePacketNetwork"/>.</summary>
public sealed class FakePacketSocket : IPacketSocket
{
    private readonly FakePacketNetwork _network;
    private readonly Channel<InboundPacket> _inbound = Channel.CreateUnbounded<InboundPacket>();

    internal FakePacketSocket(FakePacketNetwork network, Endpoint localEndpoint)
    {
        _network = network;
        LocalEndpoint = localEndpoint;
    }

    public Endpoint LocalEndpoint { get; }

    public ChannelReader<InboundPacket> Inbound => _inbound.Reader;

    public bool IsDisposed { get; private set; }

    public Task SendAsync(Endpoint destination, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _network.SendAsync(LocalEndpoint, destination, packet);
    }

    public Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default) =>
        _network.GetCapabilitiesAsync(node);

    public ValueTask DisposeAsync()
    {
        IsDisposed = true;
        _network.Unbind(this);
        _inbound.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    internal void Receive(InboundPacket packet) => _inbound.Writer.TryWrite(packet);

    internal void Fail(DataLinkException cause) => _inbound.Writer.TryComplete(cause);
}

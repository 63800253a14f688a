using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcServer
{
    private long _eventsPublished;
    private int _eventSequence = -1;

    /// <summary>
    /// Publishes an event to every endpoint in <see cref="RpcServerOptions.EventSubscribers"/> (the host by default).
    /// The event's request-id field carries this server's event sequence number (wrapping at 16 bits), so a
    /// subscriber can see gaps. Events are not acknowledged or resent.
    /// </summary>
    /// <exception cref="RpcEncodeException">The event violates a declared field size; nothing was sent.</exception>
    /// <exception cref="DataLinkException">Sending to a subscriber failed.</exception>
    public async Task PublishAsync<TEvent>(ushort interfaceId, ushort eventId, TEvent payload, CancellationToken cancellationToken)
        where TEvent : IRpcMessage<TEvent>
    {
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ushort sequence = unchecked((ushort)Interlocked.Increment(ref _eventSequence));
        byte[] packet = RpcMessages.EncodePacket(new RpcPacketHeader(RpcPacketKind.Event, RpcPacketFlags.None, interfaceId, eventId, sequence), payload);
        foreach (Endpoint subscriber in _options.EventSubscribers)
        {
            await _socket.SendAsync(subscriber, packet, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _eventsPublished);
        }
    }
}

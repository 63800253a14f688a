using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcServer
{
    private readonly object _eventSequenceLock = new();

    // The next sequence number per (interface id, event id); an id not in the map has published nothing since this
    // server started, so its next event is the first one (sequence 0, FirstEvent flag).
    private readonly Dictionary<uint, ushort> _nextEventSequence = [];
    private long _eventsPublished;

    /// <summary>
    /// Publishes an event to every endpoint in <see cref="RpcServerOptions.EventSubscribers"/> (the host by default).
    /// The event's request-id field carries its sequence number: one counter per interface and event id, from 0 when
    /// this server starts and wrapping at 16 bits, so a subscriber to that event sees consecutive numbers and a gap is
    /// an event it lost. The first event of each id since the server started carries <see cref="RpcPacketFlags.FirstEvent"/>,
    /// so a subscriber tells a restart from a wrap (docs/rpc-packets.md section 9). Events are not acknowledged or resent.
    /// </summary>
    /// <exception cref="RpcEncodeException">The event violates a declared field size; nothing was sent.</exception>
    /// <exception cref="DataLinkException">Sending to a subscriber failed.</exception>
    public async Task PublishAsync<TEvent>(ushort interfaceId, ushort eventId, TEvent payload, CancellationToken cancellationToken)
        where TEvent : IRpcMessage<TEvent>
    {
        ArgumentNullException.ThrowIfNull(payload);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Encode before taking a number: an event that does not encode is not published and leaves no gap.
        var prepared = PreparedPacket.Encode(RpcPacketKind.Event, interfaceId, eventId, payload);
        (ushort sequence, bool first) = TakeEventSequence(interfaceId, eventId);
        byte[] packet = prepared.Stamp(sequence, first ? RpcPacketFlags.FirstEvent : RpcPacketFlags.None);
        foreach (Endpoint subscriber in _options.EventSubscribers)
        {
            await _socket.SendAsync(subscriber, packet, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _eventsPublished);
        }
    }

    private (ushort Sequence, bool First) TakeEventSequence(ushort interfaceId, ushort eventId)
    {
        uint key = ((uint)interfaceId << 16) | eventId;
        lock (_eventSequenceLock)
        {
            bool first = !_nextEventSequence.TryGetValue(key, out ushort sequence);
            _nextEventSequence[key] = unchecked((ushort)(sequence + 1));
            return (sequence, first);
        }
    }
}

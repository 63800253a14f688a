using System.Collections.Immutable;
using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcClient
{
    private readonly object _subscriptionsLock = new();
    private ImmutableDictionary<EventKey, ImmutableArray<EventSubscription>> _subscriptions =
        ImmutableDictionary<EventKey, ImmutableArray<EventSubscription>>.Empty;

    /// <inheritdoc />
    /// <remarks>
    /// The handler runs on a task of its own, one event at a time in arrival order, never on the read loop; a
    /// handler that throws is logged and keeps receiving. If it falls more than
    /// <see cref="RpcClientOptions.EventQueueCapacity"/> events behind, newer events are dropped (and logged).
    /// Events are not acknowledged: one lost on the link is lost; <see cref="SubscribeEventWithSequence{TEvent}"/> says
    /// how many were.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public IDisposable SubscribeEvent<TEvent>(NodeAddress device, ushort interfaceId, ushort eventId, Action<NodeAddress, TEvent> handler)
        where TEvent : IRpcMessage<TEvent>
    {
        ArgumentNullException.ThrowIfNull(handler);
        return SubscribeEventWithSequence<TEvent>(device, interfaceId, eventId, (info, message) => handler(info.Source, message));
    }

    /// <summary>
    /// Calls <paramref name="handler"/> for every event <paramref name="eventId"/> of <paramref name="interfaceId"/> that
    /// <paramref name="device"/> publishes (<see cref="NodeAddress.Broadcast"/> for any device), until disposed, with
    /// what the event's sequence number says: how many events of this id from its source this subscription missed since
    /// the previous one it got, and whether the publisher restarted (docs/rpc-packets.md section 9). A repeat of the
    /// event delivered last (a link that duplicated it) is not delivered again.
    /// </summary>
    /// <remarks>Delivery as for <see cref="SubscribeEvent{TEvent}"/>.</remarks>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public IDisposable SubscribeEventWithSequence<TEvent>(NodeAddress device, ushort interfaceId, ushort eventId, Action<RpcEventInfo, TEvent> handler)
        where TEvent : IRpcMessage<TEvent>
    {
        ArgumentNullException.ThrowIfNull(handler);
        ThrowIfClosed();
        var key = new EventKey(interfaceId, eventId);
        var subscription = new EventSubscription<TEvent>(device, key, handler, _options.EventQueueCapacity, _logger, Unsubscribe);
        lock (_subscriptionsLock)
        {
            _subscriptions = _subscriptions.SetItem(
                key,
                _subscriptions.TryGetValue(key, out ImmutableArray<EventSubscription> existing) ? existing.Add(subscription) : [subscription]);
        }
        return subscription;
    }

    private void Unsubscribe(EventSubscription subscription)
    {
        lock (_subscriptionsLock)
        {
            if (!_subscriptions.TryGetValue(subscription.Key, out ImmutableArray<EventSubscription> existing))
                return;
            ImmutableArray<EventSubscription> remaining = existing.Remove(subscription);
            _subscriptions = remaining.IsEmpty ? _subscriptions.Remove(subscription.Key) : _subscriptions.SetItem(subscription.Key, remaining);
        }
    }

    private void DispatchEvent(NodeAddress source, in RpcPacketHeader header, ReadOnlyMemory<byte> payload)
    {
        // Lock-free read: subscribing swaps in a new immutable map.
        if (!Volatile.Read(ref _subscriptions).TryGetValue(new EventKey(header.InterfaceId, header.MessageId), out ImmutableArray<EventSubscription> subscribers))
            return;
        foreach (EventSubscription subscriber in subscribers)
        {
            if (subscriber.Accepts(source))
                subscriber.Enqueue(source, header.RequestId, header.Flags, payload);
        }
    }

    private void CompleteAllSubscriptions()
    {
        ImmutableDictionary<EventKey, ImmutableArray<EventSubscription>> all;
        lock (_subscriptionsLock)
            all = _subscriptions;
        foreach (ImmutableArray<EventSubscription> list in all.Values)
        {
            foreach (EventSubscription subscription in list)
                subscription.Dispose();
        }
    }
}

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
    /// Events are not acknowledged: one lost on the link is lost.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The client was disposed.</exception>
    public IDisposable SubscribeEvent<TEvent>(NodeAddress device, ushort interfaceId, ushort eventId, Action<NodeAddress, TEvent> handler)
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
                subscriber.Enqueue(source, payload);
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

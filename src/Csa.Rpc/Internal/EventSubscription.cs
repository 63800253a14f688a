using System.Threading.Channels;
using Csa.DataLink;
using Microsoft.Extensions.Logging;

namespace Csa.Rpc.Internal;

/// <summary>The event key the read loop dispatches on.</summary>
internal readonly record struct EventKey(ushort InterfaceId, ushort EventId);

/// <summary>
/// One subscriber. The read loop only enqueues (never runs handler code); a pump per subscription decodes and
/// calls the handler in arrival order, so a slow or blocking handler delays its own events and nothing else.
/// </summary>
internal abstract class EventSubscription : IDisposable
{
    private readonly Action<EventSubscription> _unsubscribe;
    private int _disposed;

    protected EventSubscription(NodeAddress device, EventKey key, Action<EventSubscription> unsubscribe)
    {
        Device = device;
        Key = key;
        _unsubscribe = unsubscribe;
    }

    public NodeAddress Device { get; }

    public EventKey Key { get; }

    /// <summary>True when events from <paramref name="source"/> go to this subscriber.</summary>
    public bool Accepts(NodeAddress source) => Device == NodeAddress.Broadcast || Device == source;

    /// <summary>Queues one event with its header's sequence number and flags; never blocks the read loop.</summary>
    public abstract void Enqueue(NodeAddress source, ushort sequence, RpcPacketFlags flags, ReadOnlyMemory<byte> payload);

    /// <summary>Stops delivery: no handler call starts after this returns, except one already running.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _unsubscribe(this);
        Complete();
    }

    protected bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    protected abstract void Complete();
}

/// <summary>A subscriber for events decoded as <typeparamref name="TEvent"/>.</summary>
internal sealed class EventSubscription<TEvent> : EventSubscription
    where TEvent : IRpcMessage<TEvent>
{
    private readonly Channel<Queued> _queue;
    private readonly Action<RpcEventInfo, TEvent> _handler;
    private readonly ILogger _logger;

    // Only the pump touches it: the sequence number and payload of the last event received, per source (a broadcast
    // subscription hears many publishers, each with its own numbers).
    private readonly Dictionary<NodeAddress, (ushort Sequence, ReadOnlyMemory<byte> Payload)> _last = [];

    public EventSubscription(
        NodeAddress device,
        EventKey key,
        Action<RpcEventInfo, TEvent> handler,
        int capacity,
        ILogger logger,
        Action<EventSubscription> unsubscribe)
        : base(device, key, unsubscribe)
    {
        _handler = handler;
        _logger = logger;
        _queue = Channel.CreateBounded<Queued>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true },
            dropped => RpcLog.EventDropped(_logger, dropped.Source, Key.InterfaceId, Key.EventId));
        _ = Task.Run(PumpAsync);
    }

    private readonly record struct Queued(NodeAddress Source, ushort Sequence, RpcPacketFlags Flags, ReadOnlyMemory<byte> Payload);

    public override void Enqueue(NodeAddress source, ushort sequence, RpcPacketFlags flags, ReadOnlyMemory<byte> payload) =>
        _queue.Writer.TryWrite(new Queued(source, sequence, flags, payload));

    protected override void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// What the numbers say (docs/rpc-packets.md section 9), or null for a repeat of the last event received (same number,
    /// same payload: a link that duplicated it), which is not delivered again.
    /// </summary>
    private RpcEventInfo? Track(in Queued queued)
    {
        bool first = (queued.Flags & RpcPacketFlags.FirstEvent) != 0;
        bool known = _last.TryGetValue(queued.Source, out (ushort Sequence, ReadOnlyMemory<byte> Payload) last);
        ushort ahead = unchecked((ushort)(queued.Sequence - last.Sequence));
        if (known && !first && ahead == 0 && queued.Payload.Span.SequenceEqual(last.Payload.Span))
            return null;
        _last[queued.Source] = (queued.Sequence, queued.Payload);
        if (first)
            return new RpcEventInfo(queued.Source, queued.Sequence, 0, PublisherRestarted: true);
        if (!known)
            return new RpcEventInfo(queued.Source, queued.Sequence, 0, PublisherRestarted: false);
        // A publisher only counts up, and the links deliver in order: a number at or behind the last one (more than half
        // the 16-bit circle ahead, or the same number with another event) means the publisher restarted and its first
        // events since then, FIRST among them, were lost.
        return ahead is > 0 and < 0x8000
            ? new RpcEventInfo(queued.Source, queued.Sequence, ahead - 1, PublisherRestarted: false)
            : new RpcEventInfo(queued.Source, queued.Sequence, queued.Sequence, PublisherRestarted: true);
    }

    private async Task PumpAsync()
    {
        await foreach (Queued queued in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (IsDisposed)
                return;
            if (Track(queued) is not RpcEventInfo info)
                continue;
            NodeAddress source = queued.Source;
            ReadOnlyMemory<byte> payload = queued.Payload;
            TEvent message;
            try
            {
                message = RpcMessages.Decode<TEvent>(payload.Span);
            }
            catch (RpcDecodeException ex)
            {
                RpcLog.EventUndecodable(_logger, ex, source, Key.InterfaceId, Key.EventId);
                continue;
            }
            try
            {
                _handler(info, message);
            }
#pragma warning disable CA1031 // A subscriber's bug must not stop the delivery of later events.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                RpcLog.EventHandlerFailed(_logger, ex, source, Key.InterfaceId, Key.EventId);
            }
        }
    }
}

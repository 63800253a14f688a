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

    /// <summary>Queues one event; never blocks the read loop.</summary>
    public abstract void Enqueue(NodeAddress source, ReadOnlyMemory<byte> payload);

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
    private readonly Channel<(NodeAddress Source, ReadOnlyMemory<byte> Payload)> _queue;
    private readonly Action<NodeAddress, TEvent> _handler;
    private readonly ILogger _logger;

    public EventSubscription(
        NodeAddress device,
        EventKey key,
        Action<NodeAddress, TEvent> handler,
        int capacity,
        ILogger logger,
        Action<EventSubscription> unsubscribe)
        : base(device, key, unsubscribe)
    {
        _handler = handler;
        _logger = logger;
        _queue = Channel.CreateBounded<(NodeAddress, ReadOnlyMemory<byte>)>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = true },
            dropped => RpcLog.EventDropped(_logger, dropped.Item1, Key.InterfaceId, Key.EventId));
        _ = Task.Run(PumpAsync);
    }

    public override void Enqueue(NodeAddress source, ReadOnlyMemory<byte> payload) => _queue.Writer.TryWrite((source, payload));

    protected override void Complete() => _queue.Writer.TryComplete();

    private async Task PumpAsync()
    {
        await foreach ((NodeAddress source, ReadOnlyMemory<byte> payload) in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (IsDisposed)
                return;
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
                _handler(source, message);
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

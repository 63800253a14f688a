using System.Buffers;
using Csa.DataLink;

namespace Csa.Rpc.Generator.Tests;

/// <summary>Wire helpers for tests: the same RpcWriter/RpcReader path the runtime uses.</summary>
internal static class Wire
{
    public static byte[] Encode<T>(T message) where T : IRpcMessage<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new RpcWriter(buffer);
        message.Write(ref writer);
        Assert.Equal(buffer.WrittenCount, writer.Written);
        return buffer.WrittenSpan.ToArray();
    }

    public static T Decode<T>(ReadOnlySpan<byte> payload) where T : IRpcMessage<T>
    {
        var reader = new RpcReader(payload);
        return T.Read(ref reader);
    }

    public static string Hex(byte[] bytes) => Convert.ToHexString(bytes);
}

/// <summary>
/// A fake <see cref="IRpcInvoker"/> that serves calls with in-process <see cref="IRpcService"/>s, through the
/// real encode/dispatch/decode path, and records what the generated client asked for.
/// </summary>
internal sealed class LoopbackInvoker : IRpcInvoker, IRpcEventSink
{
    private readonly Dictionary<ushort, IRpcService> _services = new();
    private readonly List<Subscription> _subscriptions = new();

    public static readonly Endpoint HostEndpoint = new(NodeAddress.Host, WellKnownPorts.Rpc);

    public List<(NodeAddress Device, ushort InterfaceId, ushort CommandId, RpcCallOptions? Options, byte[] Payload)> Calls { get; } = new();

    public NodeAddress ServedDevice { get; init; } = new(0x10);

    public int ActiveSubscriptions
    {
        get
        {
            lock (_subscriptions)
                return _subscriptions.Count;
        }
    }

    public void Host(IRpcService service)
    {
        _services.Add(service.InterfaceId, service);
        service.EventSink = this;
    }

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(NodeAddress device, ushort interfaceId, ushort commandId, TRequest request, RpcCallOptions? options, CancellationToken cancellationToken)
        where TRequest : IRpcMessage<TRequest>
        where TResponse : IRpcMessage<TResponse>
    {
        byte[] payload = Wire.Encode(request);
        Calls.Add((device, interfaceId, commandId, options, payload));
        if (!_services.TryGetValue(interfaceId, out IRpcService? service))
            throw new RpcErrorException(interfaceId, (ushort)RpcStatus.UnknownInterface, "no such interface");
        var response = new ArrayBufferWriter<byte>();
        await service.DispatchAsync(new RpcServerCall(HostEndpoint, commandId, payload, response), cancellationToken);
        return Wire.Decode<TResponse>(response.WrittenSpan);
    }

    public IDisposable SubscribeEvent<TEvent>(NodeAddress device, ushort interfaceId, ushort eventId, Action<NodeAddress, TEvent> handler)
        where TEvent : IRpcMessage<TEvent>
    {
        var subscription = new Subscription(this, device, interfaceId, eventId, (source, payload) => handler(source, Wire.Decode<TEvent>(payload)));
        lock (_subscriptions)
            _subscriptions.Add(subscription);
        return subscription;
    }

    public Task PublishAsync<TEvent>(ushort interfaceId, ushort eventId, TEvent payload, CancellationToken cancellationToken)
        where TEvent : IRpcMessage<TEvent>
    {
        byte[] bytes = Wire.Encode(payload);
        Subscription[] targets;
        lock (_subscriptions)
            targets = _subscriptions.Where(s => s.InterfaceId == interfaceId && s.EventId == eventId && (s.Device == ServedDevice || s.Device == NodeAddress.Broadcast)).ToArray();
        foreach (Subscription target in targets)
            target.Deliver(ServedDevice, bytes);
        return Task.CompletedTask;
    }

    private sealed class Subscription(LoopbackInvoker owner, NodeAddress device, ushort interfaceId, ushort eventId, Action<NodeAddress, byte[]> deliver) : IDisposable
    {
        public NodeAddress Device { get; } = device;

        public ushort InterfaceId { get; } = interfaceId;

        public ushort EventId { get; } = eventId;

        public void Deliver(NodeAddress source, byte[] payload) => deliver(source, payload);

        public void Dispose()
        {
            lock (owner._subscriptions)
                owner._subscriptions.Remove(this);
        }
    }
}

using Csa.DataLink;

namespace Csa.Rpc.Internal;

/// <summary>What the client keeps per device: its request id counter and its window (created from its capabilities).</summary>
internal sealed class DeviceState(NodeAddress node, ushort firstRequestId)
{
    private readonly object _lock = new();
    private ushort _nextRequestId = firstRequestId;
    private DeviceWindow? _window;

    public NodeAddress Node { get; } = node;

    public DeviceWindow? Window => Volatile.Read(ref _window);

    /// <summary>The window, created on first use from what the device advertises. A failed query is not cached.</summary>
    public async Task<DeviceWindow> GetWindowAsync(IPacketSocket socket, int? localLimit, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _window) is { } existing)
            return existing;
        NodeCapabilities capabilities = await socket.GetCapabilitiesAsync(Node, cancellationToken).ConfigureAwait(false);
        // A device that advertises 0 buffers can still take one request at a time (it must, to be usable at all).
        int capacity = Math.Max(1, (int)capabilities.ReceiveBuffers);
        if (localLimit is int limit)
            capacity = Math.Min(capacity, limit);
        var created = new DeviceWindow(capacity);
        return Interlocked.CompareExchange(ref _window, created, null) ?? created;
    }

    /// <summary>The next request id that is not in use for this device.</summary>
    public ushort AllocateRequestId(Func<ushort, bool> inUse)
    {
        lock (_lock)
        {
            // At most ReplayWindow ids are outstanding per device, so this loop ends after a few steps.
            ushort id;
            do
            {
                id = _nextRequestId++;
            }
            while (inUse(id));
            return id;
        }
    }
}

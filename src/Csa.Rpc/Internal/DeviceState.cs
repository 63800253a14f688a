using Csa.DataLink;

namespace Csa.Rpc.Internal;

/// <summary>What the client keeps per device: its request id counter and its window (created from its capabilities).</summary>
internal sealed class DeviceState(NodeAddress node, ushort firstRequestId)
{
    private readonly object _lock = new();
    private ushort _nextRequestId = firstRequestId;
    private DeviceWindow? _window;
    private Task<DeviceWindow>? _query;

    public NodeAddress Node { get; } = node;

    public DeviceWindow? Window => Volatile.Read(ref _window);

    /// <summary>
    /// The window, created on first use from what the device advertises. Calls that start together share one query
    /// (many first calls must not each ask the device, and each risk a lost answer on a lossy line); a failed query is
    /// not cached, the next call asks again.
    /// </summary>
    public async Task<DeviceWindow> GetWindowAsync(IPacketSocket socket, int? localLimit, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _window) is { } existing)
            return existing;
        Task<DeviceWindow> query;
        lock (_lock)
        {
            if (_query is null || _query.IsFaulted || _query.IsCanceled)
                _query = QueryAsync(socket, localLimit);
            query = _query;
        }

        return await query.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // Not tied to one caller's token: the others wait for it too. The data link bounds it (attempts x timeout).
    private async Task<DeviceWindow> QueryAsync(IPacketSocket socket, int? localLimit)
    {
        NodeCapabilities capabilities = await socket.GetCapabilitiesAsync(Node, CancellationToken.None).ConfigureAwait(false);
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

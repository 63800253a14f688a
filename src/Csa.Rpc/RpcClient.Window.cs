using System.Collections.Concurrent;
using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcClient
{
    private readonly ConcurrentDictionary<NodeAddress, DeviceState> _devices = new();
    private readonly ushort _firstRequestId;

    /// <summary>
    /// How many requests the client keeps in flight to <paramref name="device"/>: the receive buffers the device
    /// advertises (asked once, then cached), bounded by <see cref="RpcClientOptions.MaxRequestsInFlight"/>.
    /// </summary>
    /// <exception cref="DataLinkException">The device did not answer the capabilities query.</exception>
    public async Task<int> GetWindowSizeAsync(NodeAddress device, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        DeviceWindow window = await GetDevice(device).GetWindowAsync(_socket, _options.MaxRequestsInFlight, cancellationToken).ConfigureAwait(false);
        return window.Capacity;
    }

    private DeviceState GetDevice(NodeAddress device)
    {
        if (device == NodeAddress.Broadcast)
            throw new ArgumentException("A command goes to one device; the broadcast address has no single answer to wait for.", nameof(device));
        return _devices.GetOrAdd(device, static (node, first) => new DeviceState(node, first), _firstRequestId);
    }

    private ushort AllocateRequestId(DeviceState device) =>
        device.AllocateRequestId(id => _pending.ContainsKey(new PendingKey(device.Node.Value, id)));
}

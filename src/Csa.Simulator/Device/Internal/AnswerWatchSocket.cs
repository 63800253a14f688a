using System.Threading.Channels;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The RPC server's socket, watched: a command that restarts the device (Reset, EnterBootloader) registers here, and
/// the restart waits until the answer to it has been handed to the link, as firmware waits for the UART's
/// transmission-complete flag before it resets. Without it a short delay races the answer, which a loaded machine
/// or a slow line then loses.
/// </summary>
internal sealed class AnswerWatchSocket(IPacketSocket inner) : IPacketSocket
{
    private readonly object _gate = new();
    private readonly List<Watch> _watches = [];

    public Endpoint LocalEndpoint => inner.LocalEndpoint;

    public ChannelReader<InboundPacket> Inbound => inner.Inbound;

    /// <summary>
    /// Completes when the next answer (response or error) to command <paramref name="commandId"/> of interface
    /// <paramref name="interfaceId"/> sent to <paramref name="requester"/> has left this socket (or failed to).
    /// </summary>
    public Task AnswerSentAsync(Endpoint requester, ushort interfaceId, ushort commandId)
    {
        var watch = new Watch(requester, interfaceId, commandId, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
            _watches.Add(watch);
        return watch.Sent.Task;
    }

    public async Task SendAsync(Endpoint destination, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.SendAsync(destination, packet, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release(destination, packet);
        }
    }

    private void Release(Endpoint destination, ReadOnlyMemory<byte> packet)
    {
        if (!RpcPacket.TryParse(packet, out RpcPacketHeader header, out _, out _) || header.Kind is not (RpcPacketKind.Response or RpcPacketKind.Error))
            return;
        Watch? match = null;
        lock (_gate)
        {
            int index = _watches.FindIndex(w => w.Requester == destination && w.InterfaceId == header.InterfaceId && w.CommandId == header.MessageId);
            if (index >= 0)
            {
                match = _watches[index];
                _watches.RemoveAt(index);
            }
        }
        match?.Sent.TrySetResult();
    }

    public Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default) =>
        inner.GetCapabilitiesAsync(node, cancellationToken);

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (Watch watch in _watches)
                watch.Sent.TrySetResult(); // the socket is gone: nothing more will leave it
            _watches.Clear();
        }
        return inner.DisposeAsync();
    }

    private sealed record Watch(Endpoint Requester, ushort InterfaceId, ushort CommandId, TaskCompletionSource Sent);
}

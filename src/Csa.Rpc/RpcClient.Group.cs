using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcClient
{
    /// <summary>
    /// Sends <paramref name="request"/> once to <paramref name="group"/> (a group address, docs/protocol.md section 7.6)
    /// and returns the call that gathers the answer of each of <paramref name="members"/> (docs/rpc-packets.md section
    /// 12). The request id comes from the group's own counter and is free for every member. The client keeps no window
    /// for group calls: the caller keeps each member within its receive buffers and within
    /// <see cref="RpcProtocol.ReplayWindow"/> requests of its oldest unanswered one, and a client that also makes
    /// unicast calls to the members shares their response caches with them (use one client for a group's traffic).
    /// </summary>
    /// <param name="group">The group address the members joined.</param>
    /// <param name="members">The members whose answers the call waits for.</param>
    /// <param name="interfaceId">The interface id.</param>
    /// <param name="commandId">The command id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <param name="destination">
    /// Where the first copy goes: the group (null, the default), or the own address of the only member, for a command
    /// that one member of the group needs and the others do not (under the group's request ids all the same).
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="group"/> is not a group address, a member is not a device, or a destination is not the only member.</exception>
    /// <exception cref="RpcEncodeException">The request violates a declared field size; nothing was sent.</exception>
    /// <exception cref="DataLinkException">The send failed (<see cref="RpcLinkLostException"/> when the link was lost).</exception>
    public async Task<RpcGroupCall> SendToGroupAsync<TRequest>(
        NodeAddress group,
        IReadOnlyCollection<NodeAddress> members,
        ushort interfaceId,
        ushort commandId,
        TRequest request,
        CancellationToken cancellationToken = default,
        NodeAddress? destination = null)
        where TRequest : IRpcMessage<TRequest>
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(request);
        if (!group.IsGroup)
            throw new ArgumentException($"{group} is not a group address.", nameof(group));
        if (members.Count == 0 || members.Any(m => !m.IsDevice))
            throw new ArgumentException("A group call needs one or more members, each a device address.", nameof(members));
        if (destination is { } single && (members.Count != 1 || !members.Contains(single)))
            throw new ArgumentException($"A group call sent to {single} alone must have it as its only member.", nameof(destination));
        ThrowIfClosed();
        var template = PreparedPacket.Encode(RpcPacketKind.Command, interfaceId, commandId, request);
        NodeAddress[] set = [.. members.Distinct()];
        DeviceState state = _devices.GetOrAdd(group, static (node, first) => new DeviceState(node, (ushort)(first ^ 0x8000)), _firstRequestId);
        RpcGroupCall call;
        lock (state)
        {
            ushort requestId = state.AllocateRequestId(id => set.Any(m => _pending.ContainsKey(new PendingKey(m.Value, id))));
            call = new RpcGroupCall(this, group, set, requestId, template, _shutdown.Token);
            foreach ((NodeAddress member, PendingCall pending) in call.Pending)
                _pending[new PendingKey(member.Value, requestId)] = pending;
        }
        try
        {
            await SendStampedAsync(destination ?? group, template, call.RequestId, resend: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            call.Dispose();
            throw;
        }
        return call;
    }

    internal async Task SendStampedAsync(NodeAddress destination, PreparedPacket template, ushort requestId, bool resend, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        try
        {
            await _socket.SendAsync(new Endpoint(destination, _options.RemotePort), template.Stamp(requestId, resend ? RpcPacketFlags.Resend : RpcPacketFlags.None), cancellationToken).ConfigureAwait(false);
        }
        catch (DataLinkException) when (IsClosed)
        {
            throw CreateClosedException();
        }
    }

    internal void Unregister(NodeAddress member, ushort requestId, PendingCall call) =>
        _pending.TryRemove(new KeyValuePair<PendingKey, PendingCall>(new PendingKey(member.Value, requestId), call));

    internal Exception ClosedException() => CreateClosedException();
}

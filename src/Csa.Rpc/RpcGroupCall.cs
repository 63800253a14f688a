using System.Collections.Concurrent;
using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

/// <summary>
/// One command sent once to a group address (docs/protocol.md section 7.6) and the answer of each member, which
/// answers from its own address under the call's request id (docs/rpc-packets.md section 12). Made by
/// <see cref="RpcClient.SendToGroupAsync{TRequest}"/>. The call does not time out or resend by itself: the caller
/// decides, per member, how long to wait (<see cref="ReplyFrom"/>), whether to resend (to the whole group, or to one
/// member by unicast under the same request id, which a member that already executed it answers from its response
/// cache), and when to stop waiting (<see cref="Forget"/>). Dispose it to free its request id.
/// </summary>
public sealed class RpcGroupCall : IDisposable
{
    private readonly RpcClient _client;
    private readonly PreparedPacket _template;
    private readonly ConcurrentDictionary<NodeAddress, PendingCall> _calls = new();
    private readonly CancellationTokenRegistration _closed;
    private int _disposed;

    internal RpcGroupCall(RpcClient client, NodeAddress group, IReadOnlyCollection<NodeAddress> members, ushort requestId, PreparedPacket template, CancellationToken clientClosed)
    {
        _client = client;
        Group = group;
        Members = members;
        RequestId = requestId;
        _template = template;
        foreach (NodeAddress member in members)
            _calls[member] = new PendingCall(InterfaceId, CommandId);
        _closed = clientClosed.Register(static s => ((RpcGroupCall)s!).FailAll(), this);
    }

    /// <summary>The group the command went to.</summary>
    public NodeAddress Group { get; }

    /// <summary>The members whose answers the call waits for.</summary>
    public IReadOnlyCollection<NodeAddress> Members { get; }

    /// <summary>The request id every member answers under.</summary>
    public ushort RequestId { get; }

    /// <summary>The interface of the command.</summary>
    public ushort InterfaceId => _template.Header.InterfaceId;

    /// <summary>The command.</summary>
    public ushort CommandId => _template.Header.MessageId;

    internal IEnumerable<KeyValuePair<NodeAddress, PendingCall>> Pending => _calls;

    /// <summary>
    /// Completes with <paramref name="member"/>'s answer (a response or an error), as soon as it arrives; canceled
    /// when the call is disposed or the member forgotten; faults with <see cref="RpcLinkLostException"/> when the
    /// client loses its link.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="member"/> is not a member of this call.</exception>
    public Task<RpcGroupReply> ReplyFrom(NodeAddress member)
    {
        if (!_calls.TryGetValue(member, out PendingCall? call))
            throw new ArgumentException($"{member} is not a member of this call to {Group}.", nameof(member));
        return Map(member, call.Reply.Task);
    }

    /// <summary>Stops waiting for <paramref name="member"/>: its <see cref="ReplyFrom"/> is canceled and a late answer is dropped.</summary>
    public void Forget(NodeAddress member)
    {
        if (_calls.TryGetValue(member, out PendingCall? call))
        {
            _client.Unregister(member, RequestId, call);
            call.Reply.TrySetCanceled();
        }
    }

    /// <summary>Sends the same request (same id, the RESEND flag set) to the whole group again.</summary>
    public Task ResendAsync(CancellationToken cancellationToken = default) =>
        _client.SendStampedAsync(Group, _template, RequestId, resend: true, cancellationToken);

    /// <summary>
    /// Sends the same request (same id, RESEND) to <paramref name="member"/> alone, by its own address: for a member
    /// that lost it while the others did not.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="member"/> is not a member of this call.</exception>
    public Task ResendToAsync(NodeAddress member, CancellationToken cancellationToken = default)
    {
        if (!_calls.ContainsKey(member))
            throw new ArgumentException($"{member} is not a member of this call to {Group}.", nameof(member));
        return _client.SendStampedAsync(member, _template, RequestId, resend: true, cancellationToken);
    }

    /// <summary>Frees the request id; answers still on their way are dropped.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _closed.Dispose();
        foreach ((NodeAddress member, PendingCall call) in _calls)
        {
            _client.Unregister(member, RequestId, call);
            call.Reply.TrySetCanceled();
        }
    }

    private void FailAll()
    {
        foreach (PendingCall call in _calls.Values)
            call.Reply.TrySetException(_client.ClosedException());
    }

    private static async Task<RpcGroupReply> Map(NodeAddress member, Task<RpcReply> reply)
    {
        RpcReply answer = await reply.ConfigureAwait(false);
        return new RpcGroupReply(member, answer.Header, answer.Payload);
    }
}

/// <summary>One member's answer to an <see cref="RpcGroupCall"/>: a response, or an error packet.</summary>
public sealed class RpcGroupReply
{
    private readonly RpcPacketHeader _header;
    private readonly ReadOnlyMemory<byte> _payload;

    internal RpcGroupReply(NodeAddress member, RpcPacketHeader header, ReadOnlyMemory<byte> payload)
    {
        Member = member;
        _header = header;
        _payload = payload;
    }

    /// <summary>The member that answered.</summary>
    public NodeAddress Member { get; }

    /// <summary>True for an error packet (<see cref="ToException"/>), false for a response (<see cref="Decode{TResponse}"/>).</summary>
    public bool IsError => _header.Kind == RpcPacketKind.Error;

    /// <summary>Decodes the response.</summary>
    /// <exception cref="RpcErrorException">The answer is an error.</exception>
    /// <exception cref="RpcDecodeException">The response does not decode as <typeparamref name="TResponse"/>.</exception>
    public TResponse Decode<TResponse>()
        where TResponse : IRpcMessage<TResponse>
    {
        if (IsError)
            throw ToException();
        return RpcMessages.Decode<TResponse>(_payload.Span);
    }

    /// <summary>The error the member answered, as a unicast call would have thrown it.</summary>
    /// <exception cref="InvalidOperationException">The answer is a response.</exception>
    public RpcErrorException ToException()
    {
        if (!IsError)
            throw new InvalidOperationException($"{Member} answered with a response, not an error.");
        RpcPacket.TryReadError(_payload.Span, out ushort code, out string message);
        return RpcClient.CreateDeviceError(Member, _header.InterfaceId, _header.MessageId, code, message);
    }
}

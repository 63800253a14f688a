namespace Csa.Rpc.Internal;

/// <summary>The answer to a command: a response or an error packet, with its payload.</summary>
internal readonly record struct RpcReply(RpcPacketHeader Header, ReadOnlyMemory<byte> Payload);

/// <summary>Identifies an outstanding request: the device it went to and its request id.</summary>
internal readonly record struct PendingKey(byte Node, ushort RequestId);

/// <summary>
/// One sent request waiting for its answer. The read loop completes it; the caller awaits it with its timeout.
/// Continuations run asynchronously so the read loop never runs caller code.
/// </summary>
internal sealed class PendingCall(ushort interfaceId, ushort commandId)
{
    public ushort InterfaceId { get; } = interfaceId;

    public ushort CommandId { get; } = commandId;

    public TaskCompletionSource<RpcReply> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True when <paramref name="header"/> answers this call (a stale answer to a reused id does not).</summary>
    public bool Matches(in RpcPacketHeader header) => header.InterfaceId == InterfaceId && header.MessageId == CommandId;
}

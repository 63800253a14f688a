namespace Csa.Rpc;

/// <summary>Numbers client and server agree on (docs/rpc-packets.md, "Retransmission and the response cache").</summary>
public static class RpcProtocol
{
    /// <summary>
    /// A client never sends a request whose issue order is this many requests (or more) after its oldest
    /// request to the same device that is still unanswered; a server caches at least this many responses per
    /// client. Together they guarantee that a retransmitted request still finds its response in the cache,
    /// so it is never executed twice.
    /// </summary>
    public const int ReplayWindow = 32;
}

namespace Csa.Rpc;

/// <summary>Numbers client and server agree on (docs/rpc-packets.md, "Retransmission and the response cache").</summary>
public static class RpcProtocol
{
    /// <summary>
    /// A client never sends a request that is this many requests (or more), in issue order, after its oldest request
    /// to the same device that is still unanswered. It bounds the window as well as the spread of request ids a
    /// server can see while one of them is unanswered.
    /// </summary>
    public const int ReplayWindow = 16;

    /// <summary>
    /// The fewest answers a server caches per client: twice <see cref="ReplayWindow"/>. While a request is unanswered,
    /// at most <c>ReplayWindow - 1</c> older and <c>ReplayWindow - 1</c> younger requests can reach the server after
    /// it, so its answer is still cached when its resend arrives and the command is never executed twice.
    /// </summary>
    public const int MinResponseCacheDepth = 2 * ReplayWindow;
}

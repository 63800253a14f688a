using Csa.DataLink;

namespace Csa.Rpc;

/// <summary>How one call is made.</summary>
public sealed record RpcCallOptions
{
    /// <summary>
    /// The command may be sent again after a timeout or a lost link. The device answers a repeated request
    /// id from its response cache, so even a non-idempotent command is never executed twice; this flag
    /// says that a new request (a new id) may be sent for the same call when the old one is lost for good.
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>How long to wait for the response; null takes the client's default.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How many times an idempotent call is sent at most; null takes the client's default.</summary>
    public int? MaxAttempts { get; init; }
}

/// <summary>
/// What generated clients call. <c>RpcClient</c> implements it over a data link socket; tests can fake it.
/// </summary>
public interface IRpcInvoker
{
    /// <summary>Sends a command to <paramref name="device"/> and waits for its typed response.</summary>
    /// <exception cref="RpcErrorException">The device answered with an error.</exception>
    /// <exception cref="RpcTimeoutException">No response within the timeout (after the allowed retries).</exception>
    /// <exception cref="DataLinkException">The link was lost.</exception>
    Task<TResponse> InvokeAsync<TRequest, TResponse>(
        NodeAddress device,
        ushort interfaceId,
        ushort commandId,
        TRequest request,
        RpcCallOptions? options,
        CancellationToken cancellationToken)
        where TRequest : IRpcMessage<TRequest>
        where TResponse : IRpcMessage<TResponse>;

    /// <summary>
    /// Calls <paramref name="handler"/> for every event <paramref name="eventId"/> of <paramref name="interfaceId"/>
    /// that <paramref name="device"/> publishes (<see cref="NodeAddress.Broadcast"/> for any device), until disposed.
    /// </summary>
    IDisposable SubscribeEvent<TEvent>(NodeAddress device, ushort interfaceId, ushort eventId, Action<NodeAddress, TEvent> handler)
        where TEvent : IRpcMessage<TEvent>;
}

/// <summary>No response arrived in time.</summary>
public sealed class RpcTimeoutException : RpcException
{
    /// <summary>Creates the exception.</summary>
    public RpcTimeoutException(string message) : base(message) { }
}

using Csa.DataLink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Rpc;

/// <summary>What an <see cref="RpcServer"/> does with a new command when it already holds <see cref="RpcServerOptions.MaxConcurrentRequests"/>.</summary>
public enum RpcOverloadPolicy
{
    /// <summary>
    /// Answer <see cref="RpcStatus.Busy"/> at once, without executing or caching anything; the client sends the
    /// request again after a pause. This is what a device with a fixed number of receive buffers does.
    /// </summary>
    RejectBusy,

    /// <summary>
    /// Stop reading until a command finishes and frees its receive buffer. Nothing is rejected, but packets queue in
    /// the socket meanwhile, and repeated requests behind the wait are answered late.
    /// </summary>
    Queue,
}

/// <summary>Settings of an <see cref="RpcServer"/>. Immutable; derive variants with <c>with</c>.</summary>
public sealed record RpcServerOptions
{
    /// <summary>The defaults.</summary>
    public static RpcServerOptions Default { get; } = new();

    /// <summary>
    /// How many commands the server holds at once, executing or waiting for their turn: the receive buffers the node
    /// advertises. Commands of one source run one at a time in arrival order (<see cref="RpcExecution"/>).
    /// </summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>What happens to a command beyond <see cref="MaxConcurrentRequests"/>.</summary>
    public RpcOverloadPolicy OverloadPolicy { get; init; } = RpcOverloadPolicy.RejectBusy;

    /// <summary>The largest request payload accepted; a larger one is answered <see cref="RpcStatus.BadPayload"/> unexecuted.</summary>
    public int MaxRequestPayloadSize { get; init; } = 1024;

    /// <summary>
    /// How many answers are cached per client endpoint for repeated request ids. At least
    /// <see cref="RpcProtocol.MinResponseCacheDepth"/>, the depth clients rely on.
    /// </summary>
    public int ResponseCacheDepth { get; init; } = RpcProtocol.MinResponseCacheDepth;

    /// <summary>
    /// How many requests per client are remembered (by id and fingerprint only) after their answer left the cache,
    /// so that a copy delayed on a reordering link is recognised and dropped instead of executed again.
    /// </summary>
    public int DuplicateHistoryDepth { get; init; } = 1024;

    /// <summary>
    /// How long such a remembered request keeps a late copy from executing. Longer than any copy can linger in the
    /// network; short enough that a restarted host which happens to reuse the id and content is served again.
    /// </summary>
    public TimeSpan DuplicateHistoryLifetime { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many client endpoints have a response cache; the least recently heard from loses its cache first.</summary>
    public int MaxCachedClients { get; init; } = 8;

    /// <summary>
    /// Answer a command packet whose header is malformed (unknown kind or version, reserved flags) with
    /// <see cref="RpcStatus.BadPacket"/> when it is at least a whole header long. Shorter packets and malformed
    /// answers or events are always dropped: there is nothing to correlate an error with.
    /// </summary>
    public bool AnswerMalformedPackets { get; init; } = true;

    /// <summary>Where events go: by default the host's RPC port.</summary>
    public IReadOnlyList<Endpoint> EventSubscribers { get; init; } = [new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)];

    /// <summary>The server disposes the socket when it is disposed.</summary>
    public bool OwnsSocket { get; init; }

    /// <summary>The clock for the duplicate history.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the server logs; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        if (MaxConcurrentRequests < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "At least one request must be able to execute.");
        if (!Enum.IsDefined(OverloadPolicy))
            throw new ArgumentOutOfRangeException(nameof(OverloadPolicy), OverloadPolicy, "Unknown overload policy.");
        if (MaxRequestPayloadSize < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestPayloadSize), MaxRequestPayloadSize, "The maximum request size cannot be negative.");
        if (ResponseCacheDepth < RpcProtocol.MinResponseCacheDepth)
            throw new ArgumentOutOfRangeException(nameof(ResponseCacheDepth), ResponseCacheDepth, $"Clients rely on at least {RpcProtocol.MinResponseCacheDepth} cached answers per client.");
        if (DuplicateHistoryDepth < 0)
            throw new ArgumentOutOfRangeException(nameof(DuplicateHistoryDepth), DuplicateHistoryDepth, "The duplicate history cannot be negative.");
        if (DuplicateHistoryLifetime < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DuplicateHistoryLifetime), DuplicateHistoryLifetime, "The duplicate history lifetime cannot be negative.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (MaxCachedClients < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxCachedClients), MaxCachedClients, "At least one client must have a response cache.");
        ArgumentNullException.ThrowIfNull(EventSubscribers);
        ArgumentNullException.ThrowIfNull(LoggerFactory);
    }
}

/// <summary>Counters of an <see cref="RpcServer"/> since it started.</summary>
/// <param name="CommandsExecuted">Commands handed to a service (each at most once per request).</param>
/// <param name="AnswersReplayed">Repeated requests answered from the response cache.</param>
/// <param name="DuplicatesIgnored">
/// Repeated requests ignored because their first copy was still executing, or because they are late copies of a
/// request answered long ago (see <see cref="RpcServerOptions.DuplicateHistoryDepth"/>).
/// </param>
/// <param name="BusyRejections">Commands answered <see cref="RpcStatus.Busy"/>.</param>
/// <param name="MalformedPackets">Packets that were not valid RPC packets.</param>
/// <param name="PeakConcurrentRequests">
/// The most commands held at once: executing, or taken and waiting for an earlier command of their source
/// (each holds one of the <see cref="RpcServerOptions.MaxConcurrentRequests"/> receive buffers).
/// </param>
/// <param name="EventsPublished">Events sent (once per subscriber).</param>
public sealed record RpcServerStatistics(
    long CommandsExecuted,
    long AnswersReplayed,
    long DuplicatesIgnored,
    long BusyRejections,
    long MalformedPackets,
    int PeakConcurrentRequests,
    long EventsPublished);

using Csa.DataLink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Rpc;

/// <summary>Settings of an <see cref="RpcClient"/>. Immutable; derive variants with <c>with</c>.</summary>
public sealed record RpcClientOptions
{
    /// <summary>The defaults.</summary>
    public static RpcClientOptions Default { get; } = new();

    /// <summary>
    /// How long one attempt waits for its response before the same request id is sent again
    /// (<see cref="RpcCallOptions.Timeout"/> overrides it per call). A call gives up after
    /// <see cref="MaxAttempts"/> attempts, so it can take up to <c>MaxAttempts × DefaultTimeout</c>.
    /// </summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many times a request is sent at most (<see cref="RpcCallOptions.MaxAttempts"/> overrides it per call).
    /// Resends after a timeout keep the request id, so the device answers them from its response cache and never
    /// executes a command twice; only idempotent calls are sent again under a new id after a send failed.
    /// </summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>
    /// An upper bound on the requests in flight per device, below what the device advertises as its receive
    /// buffers; null uses the advertised number alone. 1 makes the client stop-and-wait.
    /// </summary>
    public int? MaxRequestsInFlight { get; init; }

    /// <summary>How long to wait before sending again a request the device answered with <see cref="RpcStatus.Busy"/>, or whose send failed.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The port RPC servers listen on at the devices.</summary>
    public byte RemotePort { get; init; } = WellKnownPorts.Rpc;

    /// <summary>How many received events wait per subscription for its handler before new ones are dropped (and logged).</summary>
    public int EventQueueCapacity { get; init; } = 256;

    /// <summary>
    /// The first request id used for each device; null picks a random one per client so a restarted host does not
    /// reuse the ids its previous run left in the device's response cache.
    /// </summary>
    public ushort? FirstRequestId { get; init; }

    /// <summary>The client disposes the socket when it is disposed.</summary>
    public bool OwnsSocket { get; init; }

    /// <summary>The clock for timeouts and retry delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the client logs; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    internal void Validate()
    {
        if (DefaultTimeout <= TimeSpan.Zero && DefaultTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(DefaultTimeout), DefaultTimeout, "The default timeout must be positive.");
        if (MaxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "A call is sent at least once.");
        if (MaxRequestsInFlight is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxRequestsInFlight), MaxRequestsInFlight, "At least one request must be allowed in flight.");
        if (RetryDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(RetryDelay), RetryDelay, "The retry delay cannot be negative.");
        if (EventQueueCapacity < 1)
            throw new ArgumentOutOfRangeException(nameof(EventQueueCapacity), EventQueueCapacity, "An event queue holds at least one event.");
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(LoggerFactory);
    }
}

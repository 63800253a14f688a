using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Transports;

/// <summary>Settings of a TCP transport, for both <see cref="TcpTransport.ConnectAsync(string, int, TcpTransportOptions?, CancellationToken)"/>
/// and connections accepted by a <see cref="TcpLinkListener"/>.</summary>
public sealed record TcpTransportOptions
{
    /// <summary>How long a connection attempt may take (resolving the host included) before it fails with
    /// <see cref="TransportConnectTimeoutException"/>. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Disables Nagle's algorithm so every flushed frame leaves at once. Default <c>true</c>: the data
    /// link sends small frames and waits for answers, and Nagle plus delayed ACK would add up to 200 ms each.</summary>
    public bool NoDelay { get; init; } = true;

    /// <summary>Enables TCP keep-alive probes, so a peer that vanished without closing (power cut, pulled
    /// cable) is detected even on an idle link. Default <c>true</c>.</summary>
    public bool KeepAlive { get; init; } = true;

    /// <summary>Idle time before the first keep-alive probe. Default 15 s. Whole seconds, at least 1 s.</summary>
    public TimeSpan KeepAliveTime { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Time between unanswered keep-alive probes. Default 5 s. Whole seconds, at least 1 s.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unanswered probes after which the connection is declared dead. Default 3.</summary>
    public int KeepAliveRetryCount { get; init; } = 3;

    /// <summary>The clock of the connect timeout. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where open/close events are logged. Default: nowhere.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>The defaults.</summary>
    public static TcpTransportOptions Default { get; } = new();

    /// <summary>Checks every setting and throws <see cref="ArgumentOutOfRangeException"/> naming the bad one.</summary>
    public void Validate()
    {
        if (ConnectTimeout <= TimeSpan.Zero && ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "The connect timeout must be positive (or Timeout.InfiniteTimeSpan).");
        }

        if (KeepAlive)
        {
            if (KeepAliveTime < TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(KeepAliveTime), KeepAliveTime, "The keep-alive time must be at least 1 s.");
            }

            if (KeepAliveInterval < TimeSpan.FromSeconds(1))
            {
                throw new ArgumentOutOfRangeException(nameof(KeepAliveInterval), KeepAliveInterval, "The keep-alive interval must be at least 1 s.");
            }

            if (KeepAliveRetryCount is < 1 or > 127)
            {
                throw new ArgumentOutOfRangeException(nameof(KeepAliveRetryCount), KeepAliveRetryCount, "The keep-alive retry count must be 1..127.");
            }
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
    }
}

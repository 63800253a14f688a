using Csa.DataLink;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Bootloader.Updates;

/// <summary>
/// Settings of a <see cref="DeviceNetwork"/>: the host node, its RPC client and discovery. Immutable: derive variants
/// with <c>with</c>. Checked once, when the network is opened.
/// </summary>
public sealed record DeviceNetworkOptions
{
    /// <summary>The defaults.</summary>
    public static DeviceNetworkOptions Default { get; } = new();

    /// <summary>The largest frame the host receives (and so the largest a device sends it). Default 1024.</summary>
    public int HostMaxFrameSize { get; init; } = 1024;

    /// <summary>The RPC client's default for every call, and discovery's: 1 s per attempt, 3 attempts by default.</summary>
    /// <remarks>The updater's own commands go by <see cref="UpdateOptions.Retry"/> (2 s per attempt by default).</remarks>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default with { Timeout = TimeSpan.FromSeconds(1) };

    /// <summary>How long enumeration waits for each device (and for the end of a chain). Default 500 ms.</summary>
    public TimeSpan LinkManagementTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The addresses each enumerated link gets when its <see cref="NetworkLink.FirstAddress"/> is not set: link i starts at
    /// 1 + i × this. Null (default) divides the 239 device addresses evenly over the links (at most 32 per link). When set,
    /// it is also the most devices a link holds: enumeration ends after that many (1 for point-to-point ports: no wait for
    /// a device after the one there).
    /// </summary>
    public int? AddressesPerLink { get; init; }

    /// <summary>The clock for timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the network, its node and its RPC client log; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    // The network's shorthands for the retry policy.
    internal TimeSpan CommandTimeout => Retry.Timeout;

    internal int CommandAttempts => Retry.Attempts;

    /// <summary>Checks every setting (the network does at <see cref="DeviceNetwork.ConnectAsync(IEnumerable{NetworkLink}, DeviceNetworkOptions?, CancellationToken)"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentNullException">The clock or the logger factory is null.</exception>
    public void Validate()
    {
        if (HostMaxFrameSize is < DataLinkProtocol.MinimumMaxFrameSize or > DataLinkProtocol.MaximumMaxFrameSize)
            throw new ArgumentOutOfRangeException(nameof(HostMaxFrameSize), HostMaxFrameSize, $"The host's maximum frame size is {DataLinkProtocol.MinimumMaxFrameSize}..{DataLinkProtocol.MaximumMaxFrameSize} bytes.");
        ArgumentNullException.ThrowIfNull(Retry, nameof(Retry));
        Retry.Validate($"{nameof(DeviceNetworkOptions)}.{nameof(Retry)}");
        if (LinkManagementTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(LinkManagementTimeout), LinkManagementTimeout, "The link-management timeout must be positive.");
        if (AddressesPerLink is < 1 or > 239)
            throw new ArgumentOutOfRangeException(nameof(AddressesPerLink), AddressesPerLink, "A link gets 1..239 addresses.");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }
}

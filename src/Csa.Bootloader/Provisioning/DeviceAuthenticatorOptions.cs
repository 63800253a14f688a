using Csa.Bootloader.Updates;
using Csa.Rpc;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// Settings of a <see cref="DeviceAuthenticator"/>. Immutable: derive variants with <c>with</c>. Checked once, by the
/// authenticator's constructor.
/// </summary>
public sealed record DeviceAuthenticatorOptions
{
    /// <summary>The defaults.</summary>
    public static DeviceAuthenticatorOptions Default { get; } = new();

    /// <summary>The vendor id certificates must name. Default null: the vendor id passed to the call.</summary>
    /// <remarks>
    /// Null takes, in an update (<see cref="UpdateOptions.DeviceAuthenticator"/>), the one of the image being installed
    /// (its signed manifest); in <see cref="DeviceAuthenticator.AuthenticateAsync(DeviceNetwork, DeviceInfo, CancellationToken)"/>
    /// the one the device reports (GetIdentity), which only checks the device against itself: set it when the product
    /// matters.
    /// </remarks>
    public uint? ExpectedVendorId { get; init; }

    /// <summary>The device class id certificates must name; null takes the one passed to the call (see <see cref="ExpectedVendorId"/>).</summary>
    public uint? ExpectedDeviceClassId { get; init; }

    /// <summary>The Authenticate command: 2 s per attempt (the device signs before it answers), 3 attempts by default.</summary>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>How many rounds a device that keeps answering Busy is asked before the Busy error is passed on. Default 3.</summary>
    /// <remarks>
    /// Each round has a fresh challenge and <see cref="Retry"/>'s attempts. The Busy error then goes up as an
    /// <see cref="RpcErrorException"/>, not as an authentication failure.
    /// </remarks>
    public int BusyRounds { get; init; } = 3;

    /// <summary>The pause between two rounds for a busy device. Default 100 ms.</summary>
    public TimeSpan BusyRetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The clock of <see cref="BusyRetryDelay"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Throws when a setting is out of range (the authenticator calls it once, at construction).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentNullException">The retry policy or the clock is null.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retry, nameof(Retry));
        Retry.Validate($"{nameof(DeviceAuthenticatorOptions)}.{nameof(Retry)}");
        if (BusyRounds < 1)
            throw new ArgumentOutOfRangeException(nameof(BusyRounds), BusyRounds, "A device is asked at least one round.");
        if (BusyRetryDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(BusyRetryDelay), BusyRetryDelay, "The pause between rounds cannot be negative.");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}

using Csa.Bootloader.Updates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// Settings of a <see cref="ProvisioningStation"/>. Immutable: derive variants with <c>with</c>. Checked once, by the
/// station's constructor.
/// </summary>
public sealed record ProvisioningStationOptions
{
    /// <summary>The vendor id certificates name (must be the device's).</summary>
    public required uint VendorId { get; init; }

    /// <summary>The device class id certificates name (must be the device's).</summary>
    public required uint DeviceClassId { get; init; }

    /// <summary>Assigns a certificate's serial number (nonzero), e.g. from the manufacturer's database. Default null: random.</summary>
    /// <remarks>
    /// Null draws a random nonzero 32-bit number from the CSPRNG, which is fine for development but not unique by
    /// construction.
    /// </remarks>
    public Func<Images.DeviceUid, CancellationToken, Task<uint>>? SerialNumbers { get; init; }

    /// <summary>Decides, before the production key signs anything, whether this device may be certified. Default null: every device.</summary>
    /// <remarks>
    /// Called with the unique id the device reported and the identity public key it proved it holds (65-byte
    /// uncompressed point). Return false (the row fails with <see cref="ProvisioningFailure.NotAuthorized"/>) or throw
    /// (e.g. a <see cref="ProvisioningException"/> that says why) to refuse. Null (default) certifies every device that proves
    /// possession of its key: the station then trusts whatever unique id the device claims, so a chip that lies about
    /// its id gets a genuine certificate for it (docs/security.md section 10.6). Ready implementations:
    /// <see cref="ProvisionedDeviceRegistry.AuthorizeAsync"/> (refuses a unique id already certified with another key and
    /// a key already certified for another id, from the record files) and <see cref="DeviceAllowList.AuthorizeAsync"/>
    /// (only the unique ids the electronics manufacturer delivered).
    /// </remarks>
    public Func<Images.DeviceUid, byte[], CancellationToken, Task<bool>>? AuthorizeDevice { get; init; }

    /// <summary>The records store (Csa.Records: SQLite or PostgreSQL). Default null: none.</summary>
    /// <remarks>
    /// When set, the station claims each (unique id, key) pair in it before the production key signs (the store refuses a unique id bound to another key
    /// and a key bound to another unique id, across every station sharing it), takes the serial number from it unless
    /// <see cref="SerialNumbers"/> gives one, stores the issued certificate durably before sending it to the device,
    /// and records every device's outcome (docs/records.md).
    /// </remarks>
    public IProvisioningRecorder? Recorder { get; init; }

    /// <summary>The provisioning commands, and the final authentication: 2 s per attempt, 3 attempts by default.</summary>
    /// <remarks>GenerateIdentityKey is sent once whatever the policy says (each call makes a new key).</remarks>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>Added to <see cref="Retry"/>'s timeout for GenerateIdentityKey and InstallCertificate. Default 2 s.</summary>
    /// <remarks>InstallCertificate may erase the provisioning sector (an STM32F4 16 KB sector: 800 ms worst case) and program the option bytes.</remarks>
    public TimeSpan InstallAllowance { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock the issue time comes from.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the station logs each device's outcome; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Throws when a setting is out of range (the station calls it once, at construction).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentNullException">The retry policy, the clock or the logger factory is null.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retry, nameof(Retry));
        Retry.Validate($"{nameof(ProvisioningStationOptions)}.{nameof(Retry)}");
        if (InstallAllowance < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(InstallAllowance), InstallAllowance, "The install allowance cannot be negative.");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }
}

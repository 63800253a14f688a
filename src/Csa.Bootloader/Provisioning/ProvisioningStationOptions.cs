namespace Csa.Bootloader.Provisioning;

/// <summary>Settings of a <see cref="ProvisioningStation"/>.</summary>
public sealed class ProvisioningStationOptions
{
    /// <summary>The vendor id certificates name (must be the device's).</summary>
    public required uint VendorId { get; init; }

    /// <summary>The device class id certificates name (must be the device's).</summary>
    public required uint DeviceClassId { get; init; }

    /// <summary>
    /// Assigns a certificate's serial number (nonzero), e.g. from the manufacturer's database. Null (default) draws a
    /// random nonzero 32-bit number from the CSPRNG, which is fine for development but not unique by construction.
    /// </summary>
    public Func<Images.DeviceUid, CancellationToken, Task<uint>>? SerialNumbers { get; init; }

    /// <summary>
    /// Decides, before the production key signs anything, whether this device may be certified: called with the unique
    /// id the device reported and the identity public key it proved it holds (65-byte uncompressed point). Return false
    /// (the row fails with <see cref="ProvisioningFailure.NotAuthorized"/>) or throw (e.g. a
    /// <see cref="ProvisioningException"/> that says why) to refuse. Null (default) certifies every device that proves
    /// possession of its key: the station then trusts whatever unique id the device claims, so a chip that lies about
    /// its id gets a genuine certificate for it (docs/security.md section 10.6). Ready implementations:
    /// <see cref="ProvisionedDeviceRegistry.AuthorizeAsync"/> (refuses a unique id already certified with another key and
    /// a key already certified for another id, from the record files) and <see cref="DeviceAllowList.AuthorizeAsync"/>
    /// (only the unique ids the electronics manufacturer delivered).
    /// </summary>
    public Func<Images.DeviceUid, byte[], CancellationToken, Task<bool>>? AuthorizeDevice { get; init; }

    /// <summary>
    /// The records store (Csa.Records: SQLite or PostgreSQL), or null for none. When set, the station claims each
    /// (unique id, key) pair in it before the production key signs (the store refuses a unique id bound to another key
    /// and a key bound to another unique id, across every station sharing it), takes the serial number from it unless
    /// <see cref="SerialNumbers"/> gives one, stores the issued certificate durably before sending it to the device,
    /// and records every device's outcome (docs/records.md).
    /// </summary>
    public IProvisioningRecorder? Recorder { get; init; }

    /// <summary>How long one ordinary provisioning command waits for its answer. Default 2 s.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times an idempotent command is sent. Default 3. GenerateIdentityKey is sent once (each call makes a new key).</summary>
    public int CommandAttempts { get; init; } = 3;

    /// <summary>
    /// Added to <see cref="CommandTimeout"/> for InstallCertificate, which may erase the provisioning sector (an STM32F4
    /// 16 KB sector: 800 ms worst case) and program the option bytes. Default 2 s.
    /// </summary>
    public TimeSpan InstallAllowance { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock the issue time comes from.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}

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

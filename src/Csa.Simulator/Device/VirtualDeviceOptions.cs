using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Simulator.Device;

/// <summary>Settings of a <see cref="VirtualDevice"/>.</summary>
public sealed record VirtualDeviceOptions
{
    /// <summary>The device's clock: flash timing, uptime, Telemetry and Heartbeat periods, reset delays.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the device logs (its data link node, RPC server, flash and firmware). Silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>
    /// The file that holds the device's flash (<see cref="Flash.FlashImageFile"/> format). When set, an existing
    /// file is loaded at construction (so a device survives a process restart) and the flash is saved there at
    /// every power-down and at dispose. Null keeps the flash in memory only.
    /// </summary>
    public string? FlashFilePath { get; init; }

    /// <summary>
    /// The chip's key storage (identity key); null (default) gives the device an empty one, as a chip leaves the
    /// electronics manufacturer. Pass one to keep a provisioned device's key across device objects (the key storage is
    /// silicon, not flash, so <see cref="FlashFilePath"/> does not carry it), or in security tests to give an attacker's
    /// clone a key of its own.
    /// </summary>
    public Csa.Simulator.Firmware.SecureKeyStorage? KeyStorage { get; init; }

    /// <summary>A name for logs and link names; null uses <c>device-</c> and the unique id.</summary>
    public string? Name { get; init; }

    /// <summary>How often the running image publishes the Device interface's Heartbeat event; null publishes none.</summary>
    public TimeSpan? HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// True (the default) publishes the demo application's Telemetry event once a second while the application
    /// runs; false keeps the link quiet (for throughput measurements).
    /// </summary>
    public bool PublishTelemetry { get; init; } = true;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
        if (FlashFilePath is { Length: 0 })
            throw new ArgumentException("The flash file path is empty; use null for a device without a file.", nameof(FlashFilePath));
        if (HeartbeatInterval is { } interval && interval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), interval, "The heartbeat interval must be positive (or null for none).");
    }
}

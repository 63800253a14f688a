using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;

namespace Csa.Simulator.Firmware;

/// <summary>One region as the device's last check found it.</summary>
/// <param name="Region">Which region.</param>
/// <param name="State">What is in it (<see cref="RegionState.Updating"/> for the target of the update in progress).</param>
/// <param name="Start">Its first flash address.</param>
/// <param name="Size">Its size in bytes (the trailer area included).</param>
/// <param name="Version">The version of the valid image in it; null when it holds none.</param>
/// <param name="SecurityCounter">The security counter of the valid image in it; 0 when it holds none.</param>
/// <param name="ManifestDigest">SHA-256 of the valid image's manifest; null when it holds none.</param>
public sealed record FirmwareRegion(RegionKind Region, RegionState State, uint Start, uint Size, FirmwareVersion? Version, uint SecurityCounter, byte[]? ManifestDigest);

/// <summary>
/// What firmware the device holds: the four regions, which bootloader copy runs, why it stays, the security counter
/// and the update in progress. Device.GetVersions and Bootloader.GetStatus report from it.
/// </summary>
public sealed class FirmwareInventory
{
    internal FirmwareInventory(
        RegionKind? runningBootloader, bool applicationRunning, StayReason stayReason, IReadOnlyList<FirmwareRegion> regions,
        uint deviceSecurityCounter, int otpSecurityCounterFloor, UpdatePhase updatePhase, RegionKind? updateRegion,
        uint updatePayloadSize, uint bytesCommitted, bool bootloaderRequested)
    {
        RunningBootloader = runningBootloader;
        ApplicationRunning = applicationRunning;
        StayReason = stayReason;
        Regions = regions;
        DeviceSecurityCounter = deviceSecurityCounter;
        OtpSecurityCounterFloor = otpSecurityCounterFloor;
        UpdatePhase = updatePhase;
        UpdateRegion = updateRegion;
        UpdatePayloadSize = updatePayloadSize;
        BytesCommitted = bytesCommitted;
        BootloaderRequested = bootloaderRequested;
    }

    /// <summary>The bootloader copy that runs (or ran before handing over to the application); null when bricked or not booted.</summary>
    public RegionKind? RunningBootloader { get; }

    /// <summary>True when the application runs.</summary>
    public bool ApplicationRunning { get; }

    /// <summary>Why the bootloader stays resident; <see cref="StayReason.None"/> when the application runs.</summary>
    public StayReason StayReason { get; }

    /// <summary>PreBootloader, BootloaderA, BootloaderB, Application, in <see cref="RegionKind"/> order.</summary>
    public IReadOnlyList<FirmwareRegion> Regions { get; }

    /// <summary>The lowest security counter the device accepts: the highest of the journal's counter, the OTP floor and
    /// the counters of the valid installed images (0 when downgrade prevention is off).</summary>
    public uint DeviceSecurityCounter { get; }

    /// <summary>The OTP thermometer floor, which no erase can lower.</summary>
    public int OtpSecurityCounterFloor { get; }

    /// <summary>The phase of the update (Idle, Receiving, Complete).</summary>
    public UpdatePhase UpdatePhase { get; }

    /// <summary>The region the update writes; null when Idle.</summary>
    public RegionKind? UpdateRegion { get; }

    /// <summary>The payload size of the image being installed.</summary>
    public uint UpdatePayloadSize { get; }

    /// <summary>Payload bytes from offset 0 known to be written.</summary>
    public uint BytesCommitted { get; }

    /// <summary>True when an enter-bootloader request is persisted.</summary>
    public bool BootloaderRequested { get; }

    /// <summary>The entry for <paramref name="region"/>.</summary>
    public FirmwareRegion this[RegionKind region] => Regions[(int)region];

    /// <inheritdoc />
    public override string ToString() =>
        string.Join(", ", Regions.Select(r => $"{r.Region} {r.State}{(r.Version is { } v ? " " + v : "")}"))
        + $"; running {RunningBootloader?.ToString() ?? "nothing"}{(ApplicationRunning ? " -> application" : $" ({StayReason})")}; counter {DeviceSecurityCounter}";
}

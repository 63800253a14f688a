using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;

namespace Csa.Bootloader.Updates;

/// <summary>One flash region as <see cref="DeviceMaintenance.ReadRegionsAsync"/> read it.</summary>
/// <param name="Region">Which region.</param>
/// <param name="State">What is in it (the bootloader's check at its last start, or of the update since).</param>
/// <param name="Start">Its first flash address.</param>
/// <param name="Size">Its size in bytes (the whole region, trailer included).</param>
/// <param name="Version">The version of the image in it (zero when empty).</param>
/// <param name="SecurityCounter">The security counter of the image in it.</param>
/// <param name="Sha256">
/// The SHA-256 of the whole region as stored (all <paramref name="Size"/> bytes), when hashes were asked for; null
/// otherwise. Not the manifest's payload hash: that one is checked against an image file with
/// <see cref="DeviceMaintenance.VerifyAsync"/>.
/// </param>
public sealed record RegionReading(RegionKind Region, RegionState State, uint Start, uint Size, FirmwareVersion Version, uint SecurityCounter, byte[]? Sha256);

/// <summary>What <see cref="DeviceMaintenance.ReadRegionsAsync"/> found.</summary>
/// <param name="Device">The device as it answers afterwards (running its application again when it did before).</param>
/// <param name="Status">The bootloader's status when the regions were read.</param>
/// <param name="Regions">The four regions, in <see cref="RegionKind"/> order.</param>
/// <param name="WasRunningApplication">True when the application ran before: the device was taken into its bootloader for the reading.</param>
/// <param name="RunsApplication">True when the application runs afterwards.</param>
public sealed record DeviceRegions(DeviceInfo Device, BootloaderStatus Status, IReadOnlyList<RegionReading> Regions, bool WasRunningApplication, bool RunsApplication);

/// <summary>What <see cref="DeviceMaintenance.VerifyAsync"/> found: does the device hold and run exactly the image.</summary>
/// <param name="Uid">The device.</param>
/// <param name="Region">The region the image is linked for.</param>
/// <param name="State">That region's state.</param>
/// <param name="StoredVersion">The version of the image in it (zero when empty).</param>
/// <param name="StoredSecurityCounter">The security counter of the image in it.</param>
/// <param name="StoredPayloadSha256">The SHA-256 the device computed over the region's first payload-size bytes; null when the region holds no valid image of that payload size.</param>
/// <param name="ImagePayloadSha256">The payload hash the image's manifest names.</param>
/// <param name="Holds">True when the region is valid and holds the image's version, security counter and payload.</param>
/// <param name="Runs">True when that image runs: the application with its version, or the bootloader copy the pre-bootloader starts.</param>
/// <param name="Problem">What differs, in words; null when the device holds and runs the image.</param>
/// <param name="Device">The device as it answers afterwards.</param>
public sealed record InstalledImageCheck(
    DeviceUid Uid,
    RegionKind Region,
    RegionState State,
    FirmwareVersion StoredVersion,
    uint StoredSecurityCounter,
    byte[]? StoredPayloadSha256,
    byte[] ImagePayloadSha256,
    bool Holds,
    bool Runs,
    string? Problem,
    DeviceInfo Device)
{
    /// <summary>True when the device holds exactly the image and runs it.</summary>
    public bool Matches => Holds && Runs;
}

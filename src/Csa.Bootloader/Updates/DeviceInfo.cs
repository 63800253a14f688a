using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates;

/// <summary>
/// One device as discovery found it: where it is, who it is, what runs and what it can take. A snapshot: a device that
/// restarts or loses power may come back at another address; find it again by <see cref="Uid"/>
/// (<see cref="DeviceNetwork.FindAsync"/>).
/// </summary>
/// <param name="Address">The node address it answers at.</param>
/// <param name="LinkIndex">The index of the host link it is behind (<see cref="DeviceNetwork.Links"/>).</param>
/// <param name="LinkName">The name of that link.</param>
/// <param name="ChainPosition">Its position on that link (0 next to the host), or -1 for a fixed address.</param>
/// <param name="Uid">The microcontroller's 96-bit unique id.</param>
/// <param name="VendorId">The vendor the device belongs to (images must name it).</param>
/// <param name="DeviceClassId">The device class (images must name it).</param>
/// <param name="ProductName">The product name.</param>
/// <param name="HardwareRevision">The board's hardware revision.</param>
/// <param name="McuDeviceId">The DBGMCU DEV_ID (0x413 STM32F405/407, 0x415 STM32L476).</param>
/// <param name="RunningImage">The image that answered: the application or a bootloader.</param>
/// <param name="ActiveBootloader">The bootloader copy the pre-bootloader started last.</param>
/// <param name="BootloaderVersion">The version of that copy.</param>
/// <param name="ApplicationVersion">The installed application's version (zero when none).</param>
/// <param name="ApplicationValid">True when the installed application passed its check at start-up.</param>
/// <param name="SecurityCounter">The lowest security counter the device accepts.</param>
/// <param name="ProtocolVersion">The data link and RPC protocol version.</param>
/// <param name="MaxFrameSize">The largest frame the device receives.</param>
/// <param name="PathFrameSize">The largest frame that reaches it from the host (the smallest limit along a chain).</param>
/// <param name="ReceiveBuffers">How many packets it holds at once: the pipelining window.</param>
/// <param name="MaxPacketSize">The largest RPC packet it reassembles.</param>
/// <param name="Features">The optional features of the running image.</param>
/// <param name="Bootloader">The bootloader's status when a bootloader answered; null while the application runs.</param>
public sealed record DeviceInfo(
    NodeAddress Address,
    int LinkIndex,
    string LinkName,
    int ChainPosition,
    DeviceUid Uid,
    uint VendorId,
    uint DeviceClassId,
    string ProductName,
    ushort HardwareRevision,
    ushort McuDeviceId,
    Csa.Rpc.Device.ImageKind RunningImage,
    BootloaderSlot ActiveBootloader,
    FirmwareVersion BootloaderVersion,
    FirmwareVersion ApplicationVersion,
    bool ApplicationValid,
    uint SecurityCounter,
    ushort ProtocolVersion,
    ushort MaxFrameSize,
    int PathFrameSize,
    byte ReceiveBuffers,
    ushort MaxPacketSize,
    FeatureFlags Features,
    BootloaderStatus? Bootloader)
{
    /// <summary>True when a bootloader answered (waiting for, or in the middle of, an update).</summary>
    public bool IsInBootloader => RunningImage == Csa.Rpc.Device.ImageKind.Bootloader;

    /// <summary>
    /// What the device's bootloader installs (Device.GetUpdateRules): its update features, its requirements and, per
    /// region, the start and the largest payload. Known while the application runs too; null for a device whose
    /// firmware does not answer GetUpdateRules (the image is then checked once the bootloader runs).
    /// </summary>
    public UpdateRules? Rules { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Address} {Uid} '{ProductName}' vendor 0x{VendorId:X8} class 0x{DeviceClassId:X8}: " +
        $"{RunningImage} runs, bootloader {ActiveBootloader} {BootloaderVersion}, application {ApplicationVersion}{(ApplicationValid ? "" : " (not valid)")}, " +
        $"counter {SecurityCounter}, frames {PathFrameSize}, {ReceiveBuffers} buffers" +
        (Bootloader is { } status ? $", {status.StayReason}, update {status.Phase} {status.BytesCommitted}/{status.PayloadSize}" : "");
}

/// <summary>One flash region as the bootloader reports it.</summary>
/// <param name="Region">Which region.</param>
/// <param name="State">What is in it.</param>
/// <param name="Start">Its first flash address (an image for it must be linked here).</param>
/// <param name="Size">
/// Its size in bytes. Not the largest payload it takes: the bootloader keeps part of it (its trailer); that limit is
/// <see cref="UpdateRules"/> (<see cref="DeviceInfo.Rules"/>).
/// </param>
/// <param name="Version">The version of the image in it (zero when empty).</param>
/// <param name="SecurityCounter">The security counter of the image in it.</param>
public sealed record RegionInfo(RegionKind Region, RegionState State, uint Start, uint Size, FirmwareVersion Version, uint SecurityCounter);

/// <summary>The bootloader's status (GetStatus) in plain types.</summary>
/// <param name="RunningCopy">The bootloader copy that answered.</param>
/// <param name="StayReason">Why the bootloader runs instead of the application.</param>
/// <param name="Regions">The four regions, in <see cref="RegionKind"/> order.</param>
/// <param name="DeviceSecurityCounter">The lowest security counter the device accepts (0 without downgrade prevention).</param>
/// <param name="Phase">The update's phase.</param>
/// <param name="Target">The update's target (meaningful unless <see cref="UpdatePhase.Idle"/>).</param>
/// <param name="ManifestDigest">SHA-256 of the manifest being installed (zero when idle).</param>
/// <param name="PayloadSize">The payload size of the image being installed.</param>
/// <param name="BytesCommitted">Payload bytes from offset 0 known to be written (kept across power cuts).</param>
/// <param name="WriteAlignment">The write alignment.</param>
/// <param name="MaxWriteSize">The largest write.</param>
public sealed record BootloaderStatus(
    RegionKind RunningCopy,
    StayReason StayReason,
    IReadOnlyList<RegionInfo> Regions,
    uint DeviceSecurityCounter,
    UpdatePhase Phase,
    UpdateTarget Target,
    byte[] ManifestDigest,
    uint PayloadSize,
    uint BytesCommitted,
    ushort WriteAlignment,
    ushort MaxWriteSize)
{
    /// <summary>The bootloader copy that is not running: the only one this bootloader writes.</summary>
    public RegionKind OtherCopy => RunningCopy == RegionKind.BootloaderA ? RegionKind.BootloaderB : RegionKind.BootloaderA;

    /// <summary>The region <paramref name="kind"/>.</summary>
    /// <exception cref="ArgumentException">The device did not report that region.</exception>
    public RegionInfo GetRegion(RegionKind kind) =>
        Regions.FirstOrDefault(r => r.Region == kind) ?? throw new ArgumentException($"The device reported no {kind} region.", nameof(kind));

    /// <summary>Converts the generated GetStatus response.</summary>
    public static BootloaderStatus FromResponse(GetStatusResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        RegionInfo[] regions = response.Regions
            .Select(r => new RegionInfo(r.Region, r.State, r.Start, r.Size,
                new FirmwareVersion(r.VersionMajor, r.VersionMinor, r.VersionPatch, r.VersionBuild), r.SecurityCounter))
            .ToArray();
        return new BootloaderStatus(response.RunningCopy, response.StayReason, regions, response.DeviceSecurityCounter,
            response.Phase, response.Target, (byte[])response.ManifestDigest.Clone(), response.PayloadSize, response.BytesCommitted,
            response.WriteAlignment, response.MaxWriteSize);
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;

namespace Csa.Simulator.Firmware;

/// <summary>What the device decided at power-on (<see cref="DeviceFirmware.Boot"/>).</summary>
/// <param name="RunningBootloader">The bootloader copy the pre-bootloader started (the valid copy with the highest
/// version); null when neither copy is valid or the pre-bootloader is missing: the device is bricked.</param>
/// <param name="StartApplication">True when the bootloader handed over to the application.</param>
/// <param name="StayReason">Why the bootloader stays resident (<see cref="StayReason.None"/> when the application starts).</param>
/// <param name="ApplicationVersion">The version of the valid application, null when there is none.</param>
public sealed record BootDecision(RegionKind? RunningBootloader, bool StartApplication, StayReason StayReason, FirmwareVersion? ApplicationVersion)
{
    /// <summary>True when no bootloader can run: the device needs a production programmer.</summary>
    public bool IsBricked => RunningBootloader is null;

    /// <inheritdoc />
    public override string ToString() =>
        RunningBootloader is null ? "bricked: no valid bootloader copy"
        : StartApplication ? $"{RunningBootloader} starts application {ApplicationVersion}"
        : $"{RunningBootloader} stays resident ({StayReason})";
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;

namespace Csa.Bootloader.Updates;

/// <summary>What a successful update did.</summary>
/// <param name="Device">The device's unique id.</param>
/// <param name="Address">The device's node address at the end.</param>
/// <param name="Target">What was written: the application, or a bootloader copy.</param>
/// <param name="VersionBefore">The version of the image in that role before (the application, or the running bootloader copy); null when none was valid.</param>
/// <param name="VersionAfter">The version now running in that role, confirmed by reading it back.</param>
/// <param name="RunningBootloader">The bootloader copy that runs at the end (<see cref="RegionKind.BootloaderA"/> or <see cref="RegionKind.BootloaderB"/>).</param>
/// <param name="PayloadBytes">The payload bytes of the image(s) written.</param>
/// <param name="BytesSent">Payload bytes of the writes the device acknowledged (less than <paramref name="PayloadBytes"/> after a resume).</param>
/// <param name="BytesResumed">Payload bytes the device already held and that were not sent again.</param>
/// <param name="ResumeCount">How many times the update resumed after a fault.</param>
/// <param name="ImagesWritten">How many images were written (2 for a two-copy bootloader update).</param>
/// <param name="Duration">Wall time of the whole call (from the options' <see cref="TimeProvider"/>).</param>
public sealed record UpdateResult(
    DeviceUid Device,
    NodeAddress Address,
    UpdateTarget Target,
    FirmwareVersion? VersionBefore,
    FirmwareVersion VersionAfter,
    RegionKind RunningBootloader,
    long PayloadBytes,
    long BytesSent,
    long BytesResumed,
    int ResumeCount,
    int ImagesWritten,
    TimeSpan Duration)
{
    /// <summary>
    /// True when the payload reached the device through a transfer to a group (multicast,
    /// <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, FirmwareImage?, Task}?)"/>),
    /// false when the device was written by itself.
    /// </summary>
    public bool Multicast { get; init; }
}

/// <summary>One row of a production install (<see cref="FirmwareUpdater.InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/>).</summary>
/// <param name="Device">The device's unique id.</param>
/// <param name="Address">Its node address when the install started.</param>
/// <param name="ProductName">The product name it reported.</param>
/// <param name="Succeeded">True when the image was installed and confirmed running.</param>
/// <param name="FailureReason">Why not, in words (the exception's message); null on success.</param>
/// <param name="Error">The exception that stopped this device (<see cref="UpdateRejectedException"/>, <see cref="UpdateFailedException"/>, ...); null on success.</param>
/// <param name="VersionBefore">The application (or bootloader) version before; null when none was valid.</param>
/// <param name="VersionAfter">The version confirmed afterwards; null on failure.</param>
/// <param name="BytesSent">Payload bytes sent to this device.</param>
/// <param name="Duration">How long this device took.</param>
/// <param name="Result">The full result on success.</param>
public sealed record InstallResult(
    DeviceUid Device,
    NodeAddress Address,
    string ProductName,
    bool Succeeded,
    string? FailureReason,
    Exception? Error,
    FirmwareVersion? VersionBefore,
    FirmwareVersion? VersionAfter,
    long BytesSent,
    TimeSpan Duration,
    UpdateResult? Result)
{
    /// <inheritdoc />
    public override string ToString() => Succeeded
        ? $"{Device} @ {Address}: OK {VersionBefore?.ToString() ?? "-"} -> {VersionAfter}, {BytesSent} bytes in {Duration.TotalSeconds:0.00} s"
        : $"{Device} @ {Address}: FAILED ({FailureReason})";
}

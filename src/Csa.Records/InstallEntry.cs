using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;

namespace Csa.Records;

/// <summary>How an install or update ended.</summary>
public enum InstallOutcome
{
    /// <summary>The image was written, verified and confirmed running.</summary>
    Succeeded,

    /// <summary>It failed; the error code and text say why.</summary>
    Failed,

    /// <summary>It was cancelled (Ctrl+C) before it finished.</summary>
    Cancelled,
}

/// <summary>
/// One row of <c>install_records</c> (docs/records.md section 3): which image went (or did not go) onto which device,
/// when, at which station, by which operator, with which result. Append-only, identified by <see cref="RecordId"/>.
/// </summary>
public sealed record InstallEntry
{
    /// <summary>The row's id (made by the station).</summary>
    public required Guid RecordId { get; init; }

    /// <summary>The run (command, batch) it belongs to.</summary>
    public required Guid RunId { get; init; }

    /// <summary>The device's unique id, 24 upper-case hex digits.</summary>
    public required string Uid { get; init; }

    /// <summary><c>install</c> (production, REQ-INST) or <c>update</c> (field update, REQ-UPD-APP / REQ-UPD-BL).</summary>
    public required string Operation { get; init; }

    /// <summary>The image kind; null when the install failed before an image was chosen.</summary>
    public ImageKind? ImageKind { get; init; }

    /// <summary>The image's version (major.minor.patch+build); null when no image.</summary>
    public string? Version { get; init; }

    /// <summary>The image's security counter; null when no image.</summary>
    public uint? SecurityCounter { get; init; }

    /// <summary>SHA-256 of the whole image file (manifest, payload, signature: what was sent); null when no image.</summary>
    public byte[]? ImageSha256 { get; init; }

    /// <summary>SHA-256 of the payload as the signed manifest names it (of the plaintext firmware); null when no image.</summary>
    public byte[]? PayloadSha256 { get; init; }

    /// <summary>The version in that role before; null when none was valid or unknown.</summary>
    public string? VersionBefore { get; init; }

    /// <summary>The version confirmed running afterwards; null on failure.</summary>
    public string? VersionAfter { get; init; }

    /// <summary>When this device's install started (UTC, microseconds).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>Payload bytes the image holds (0 when no image).</summary>
    public long PayloadBytes { get; init; }

    /// <summary>Payload bytes the device acknowledged in this run.</summary>
    public long BytesSent { get; init; }

    /// <summary>Payload bytes the device already held from an interrupted run (not sent again).</summary>
    public long BytesResumed { get; init; }

    /// <summary>How it ended.</summary>
    public required InstallOutcome Result { get; init; }

    /// <summary>A short, stable code of the failure (e.g. <c>Rejected:SecurityCounterTooLow</c>, <c>Failed:Transferring</c>); null on success.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The failure in words; null on success.</summary>
    public string? Error { get; init; }

    /// <summary>The station.</summary>
    public required string Station { get; init; }

    /// <summary>The operator.</summary>
    public required string Operator { get; init; }

    /// <summary>The row of one device's install or update.</summary>
    /// <param name="row">The device's result row.</param>
    /// <param name="image">The image it got (null when it failed before one was chosen).</param>
    /// <param name="operation"><c>install</c> or <c>update</c>.</param>
    /// <param name="origin">Station, operator, run.</param>
    /// <param name="startedAt">When this device's turn started.</param>
    /// <param name="endedAt">When it ended.</param>
    public static InstallEntry From(InstallResult row, FirmwareImage? image, string operation, RecordOrigin origin, DateTimeOffset startedAt, DateTimeOffset endedAt)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentException.ThrowIfNullOrEmpty(operation);
        ArgumentNullException.ThrowIfNull(origin);
        bool cancelled = !row.Succeeded && row.Error is OperationCanceledException;
        return new InstallEntry
        {
            RecordId = Guid.NewGuid(),
            RunId = origin.RunId,
            Uid = row.Device.ToString(),
            Operation = operation,
            ImageKind = image?.Manifest.Kind,
            Version = image?.Manifest.Version.ToString(),
            SecurityCounter = image?.Manifest.SecurityCounter,
            ImageSha256 = image is null ? null : SHA256.HashData(image.Bytes.Span),
            PayloadSha256 = image?.Manifest.PayloadSha256.ToArray(),
            VersionBefore = row.VersionBefore?.ToString(),
            VersionAfter = row.VersionAfter?.ToString(),
            StartedAt = RecordTime.Truncate(startedAt),
            EndedAt = RecordTime.Truncate(endedAt),
            PayloadBytes = image?.Manifest.PayloadSize ?? 0,
            BytesSent = row.Result?.BytesSent ?? row.BytesSent,
            BytesResumed = row.Result?.BytesResumed ?? 0,
            Result = row.Succeeded ? InstallOutcome.Succeeded : cancelled ? InstallOutcome.Cancelled : InstallOutcome.Failed,
            ErrorCode = row.Succeeded ? null : ErrorCodes.Of(row.Error) ?? "Failed",
            Error = row.Succeeded ? null : row.FailureReason ?? "failed",
            Station = origin.Station,
            Operator = origin.Operator,
        };
    }
}

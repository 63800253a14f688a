using System.Globalization;
using Csa.Bootloader.Provisioning;

namespace Csa.Records;

/// <summary>What a provisioning row records (the <c>event</c> column).</summary>
public enum ProvisioningEvent
{
    /// <summary>The certificate was signed and stored here before it was sent to the device (the device may not hold it yet).</summary>
    Issued,

    /// <summary>The device stored and locked its certificate and passed a fresh authentication.</summary>
    Provisioned,

    /// <summary>The device was found provisioned with this production key's certificate (a repeated run).</summary>
    AlreadyProvisioned,

    /// <summary>Provisioning failed; <see cref="ProvisioningEntry.ErrorCode"/> and <see cref="ProvisioningEntry.Error"/> say why.</summary>
    Failed,

    /// <summary>The run was cancelled before this device finished.</summary>
    Cancelled,
}

/// <summary>
/// One row of <c>provisioning_records</c> (docs/records.md section 3): a device's certificate issued, or a device's
/// outcome. Append-only; rows are identified by <see cref="RecordId"/>, made by the station, so a row forwarded twice
/// from the journal is stored once.
/// </summary>
public sealed record ProvisioningEntry
{
    /// <summary>The row's id (made by the station).</summary>
    public required Guid RecordId { get; init; }

    /// <summary>The run (command, batch) it belongs to.</summary>
    public required Guid RunId { get; init; }

    /// <summary>When the station recorded it (UTC, microseconds).</summary>
    public required DateTimeOffset RecordedAt { get; init; }

    /// <summary>The device's unique id, 24 upper-case hex digits.</summary>
    public required string Uid { get; init; }

    /// <summary>What the row records.</summary>
    public required ProvisioningEvent Event { get; init; }

    /// <summary>The certificate's serial number; null when no certificate was issued or found.</summary>
    public uint? SerialNumber { get; init; }

    /// <summary>The 176-byte certificate; null when none.</summary>
    public byte[]? Certificate { get; init; }

    /// <summary>The identity public key (65-byte uncompressed point); null when none was certified.</summary>
    public byte[]? PublicKey { get; init; }

    /// <summary>The production key id (16 lower-case hex digits); null when none.</summary>
    public string? ProductionKeyId { get; init; }

    /// <summary>The certificate's vendor id.</summary>
    public uint? VendorId { get; init; }

    /// <summary>The certificate's device class id.</summary>
    public uint? DeviceClassId { get; init; }

    /// <summary>The identity claim the certificate was issued under (see <see cref="IdentityClaimEntry"/>); null when none.</summary>
    public Guid? ClaimId { get; init; }

    /// <summary>The station.</summary>
    public required string Station { get; init; }

    /// <summary>The operator.</summary>
    public required string Operator { get; init; }

    /// <summary>A short, stable code of the failure (e.g. <c>NotAuthorized</c>, <c>DeviceRefused:AlreadyLocked</c>, <c>Timeout</c>); null on success.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The failure in words; null on success.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// The row in the record-file format of <see cref="ProvisioningRecord"/> (the JSON lines and CSV that
    /// <c>csa provision --record</c> writes and <see cref="ProvisionedDeviceRegistry"/> reads): the export format.
    /// </summary>
    public ProvisioningRecord ToExportRecord()
    {
        string issuedAt = string.Empty;
        if (Certificate is { } bytes && DeviceCertificate.TryParse(bytes, out DeviceCertificate? certificate, out _, out _))
            issuedAt = certificate.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return new ProvisioningRecord(Uid, Event.ToString(),
            PublicKey is null ? string.Empty : Convert.ToHexString(PublicKey),
            Certificate is null ? string.Empty : Convert.ToHexString(Certificate),
            SerialNumber ?? 0, VendorId ?? 0, DeviceClassId ?? 0, ProductionKeyId ?? string.Empty, issuedAt, Error ?? string.Empty);
    }

    /// <summary>The <see cref="ProvisioningEvent.Issued"/> row of a certificate, before it is sent to the device.</summary>
    public static ProvisioningEntry Issued(IdentityClaim claim, DeviceCertificate certificate, RecordOrigin origin, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(origin);
        return WithCertificate(new ProvisioningEntry
        {
            RecordId = Guid.NewGuid(),
            RunId = origin.RunId,
            RecordedAt = RecordTime.Truncate(at),
            Uid = claim.Uid.ToString(),
            Event = ProvisioningEvent.Issued,
            ClaimId = claim.ClaimId,
            Station = origin.Station,
            Operator = origin.Operator,
        }, certificate);
    }

    /// <summary>The outcome row of one device.</summary>
    public static ProvisioningEntry FromResult(ProvisioningResult result, RecordOrigin origin, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(origin);
        var entry = new ProvisioningEntry
        {
            RecordId = Guid.NewGuid(),
            RunId = origin.RunId,
            RecordedAt = RecordTime.Truncate(at),
            Uid = result.Uid.ToString(),
            Event = result.Outcome switch
            {
                ProvisioningOutcome.Provisioned => ProvisioningEvent.Provisioned,
                ProvisioningOutcome.AlreadyProvisioned => ProvisioningEvent.AlreadyProvisioned,
                ProvisioningOutcome.Cancelled => ProvisioningEvent.Cancelled,
                _ => ProvisioningEvent.Failed,
            },
            Station = origin.Station,
            Operator = origin.Operator,
            ErrorCode = result.Succeeded ? null : ErrorCodes.Of(result.Exception) ?? result.Outcome.ToString(),
            Error = result.Succeeded ? null : result.Error ?? result.Outcome.ToString(),
        };
        return result.Certificate is { } certificate ? WithCertificate(entry, certificate) : entry;
    }

    private static ProvisioningEntry WithCertificate(ProvisioningEntry entry, DeviceCertificate certificate) => entry with
    {
        SerialNumber = certificate.SerialNumber,
        Certificate = certificate.ToArray(),
        PublicKey = certificate.GetUncompressedPublicKey(),
        ProductionKeyId = Convert.ToHexString(certificate.IssuerKeyId.Span).ToLowerInvariant(),
        VendorId = certificate.VendorId,
        DeviceClassId = certificate.DeviceClassId,
    };
}

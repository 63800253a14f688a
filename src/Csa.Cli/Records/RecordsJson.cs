using System.Globalization;
using Csa.Records;

namespace Csa.Cli.Records;

/// <summary>The JSON shapes of records rows (<c>csa records query --json</c>): bytes as lower-case hex, times as ISO 8601 UTC.</summary>
internal static class RecordsJson
{
    public static object Of(ProvisioningEntry r) => new
    {
        recordId = r.RecordId,
        runId = r.RunId,
        recordedAt = Time(r.RecordedAt),
        uid = r.Uid,
        @event = r.Event.ToString(),
        serialNumber = r.SerialNumber,
        certificate = Hex(r.Certificate),
        publicKey = Hex(r.PublicKey),
        productionKeyId = r.ProductionKeyId,
        vendorId = r.VendorId,
        deviceClassId = r.DeviceClassId,
        claimId = r.ClaimId,
        station = r.Station,
        @operator = r.Operator,
        errorCode = r.ErrorCode,
        error = r.Error,
    };

    public static object Of(InstallEntry r) => new
    {
        recordId = r.RecordId,
        runId = r.RunId,
        uid = r.Uid,
        operation = r.Operation,
        imageKind = r.ImageKind?.ToString(),
        version = r.Version,
        securityCounter = r.SecurityCounter,
        imageSha256 = Hex(r.ImageSha256),
        payloadSha256 = Hex(r.PayloadSha256),
        versionBefore = r.VersionBefore,
        versionAfter = r.VersionAfter,
        startedAt = Time(r.StartedAt),
        endedAt = Time(r.EndedAt),
        payloadBytes = r.PayloadBytes,
        bytesSent = r.BytesSent,
        bytesResumed = r.BytesResumed,
        result = r.Result.ToString(),
        errorCode = r.ErrorCode,
        error = r.Error,
        station = r.Station,
        @operator = r.Operator,
    };

    public static object Of(IdentityClaimEntry c) => new
    {
        claimId = c.ClaimId,
        uid = c.Uid,
        generation = c.Generation,
        publicKey = Hex(c.PublicKey),
        keyId = c.KeyId,
        productionKeyId = c.ProductionKeyId,
        serialNumber = c.SerialNumber,
        adopted = c.Adopted,
        station = c.Station,
        @operator = c.Operator,
        runId = c.RunId,
        claimedAt = Time(c.ClaimedAt),
        voided = c.Void is null ? null : new { reason = c.Void.Reason, station = c.Void.Station, @operator = c.Void.Operator, voidedAt = Time(c.Void.VoidedAt) },
    };

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    public static string? Hex(byte[]? bytes) => bytes is null ? null : Convert.ToHexString(bytes).ToLowerInvariant();
}

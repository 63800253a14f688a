using System.Globalization;
using System.Text;
using Csa.Bootloader.Provisioning;
using Csa.Records;

namespace Csa.Cli.Records;

/// <summary>
/// CSV exports of <c>csa records query --csv</c> (RFC 4180, UTF-8, LF). Provisioning rows use the record-file CSV of
/// <see cref="ProvisioningRecord"/> unchanged, so an export feeds <c>csa provision --record</c>'s registry and the
/// manufacturer's existing imports; installs and claims have headers of their own (docs/records.md section 5).
/// </summary>
internal static class RecordsCsv
{
    public const string InstallHeader = "uid,operation,imageKind,version,securityCounter,imageSha256,payloadSha256,versionBefore,versionAfter,startedAt,endedAt,payloadBytes,bytesSent,bytesResumed,result,errorCode,error,station,operator,recordId,runId";

    public const string ClaimHeader = "uid,generation,serialNumber,publicKey,keyId,productionKeyId,adopted,station,operator,claimedAt,voidedAt,voidReason,claimId";

    public static string Provisioning(IEnumerable<ProvisioningEntry> rows)
    {
        var text = new StringBuilder(ProvisioningRecord.CsvHeader).Append('\n');
        foreach (ProvisioningEntry row in rows)
            text.Append(row.ToExportRecord().ToCsvLine()).Append('\n');
        return text.ToString();
    }

    public static string Installs(IEnumerable<InstallEntry> rows)
    {
        var text = new StringBuilder(InstallHeader).Append('\n');
        foreach (InstallEntry r in rows)
            Line(text, r.Uid, r.Operation, r.ImageKind?.ToString(), r.Version, Number(r.SecurityCounter), RecordsJson.Hex(r.ImageSha256), RecordsJson.Hex(r.PayloadSha256),
                r.VersionBefore, r.VersionAfter, RecordsJson.Time(r.StartedAt), RecordsJson.Time(r.EndedAt), Number(r.PayloadBytes), Number(r.BytesSent),
                Number(r.BytesResumed), r.Result.ToString(), r.ErrorCode, r.Error, r.Station, r.Operator, r.RecordId.ToString(), r.RunId.ToString());
        return text.ToString();
    }

    public static string Claims(IEnumerable<IdentityClaimEntry> rows)
    {
        var text = new StringBuilder(ClaimHeader).Append('\n');
        foreach (IdentityClaimEntry c in rows)
            Line(text, c.Uid, Number(c.Generation), Number(c.SerialNumber), RecordsJson.Hex(c.PublicKey), c.KeyId, c.ProductionKeyId, c.Adopted ? "true" : "false",
                c.Station, c.Operator, RecordsJson.Time(c.ClaimedAt), c.Void is null ? null : RecordsJson.Time(c.Void.VoidedAt), c.Void?.Reason, c.ClaimId.ToString());
        return text.ToString();
    }

    private static string? Number(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static void Line(StringBuilder text, params string?[] fields) =>
        text.AppendJoin(',', fields.Select(f => f is null ? "" : f.AsSpan().IndexOfAny(",\"\r\n") < 0 ? f : "\"" + f.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"")).Append('\n');
}

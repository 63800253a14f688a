using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// One device as the manufacturer's database records it: unique id, identity public key, certificate (all hex), and
/// what the run did. Written as JSON lines (<see cref="ToJsonLine"/>) or CSV (<see cref="ToCsvLine"/>); the field names
/// are the JSON keys and the CSV header (<see cref="CsvHeader"/>).
/// </summary>
/// <param name="Uid">The 96-bit unique id, 24 hex digits.</param>
/// <param name="Outcome">Provisioned, AlreadyProvisioned, Failed or Cancelled.</param>
/// <param name="PublicKey">The identity public key, 65-byte uncompressed point as 130 hex digits; empty when none was certified.</param>
/// <param name="Certificate">The 176-byte certificate as 352 hex digits; empty when none was stored.</param>
/// <param name="SerialNumber">The certificate's serial number (0 when none).</param>
/// <param name="VendorId">The certificate's vendor id.</param>
/// <param name="DeviceClassId">The certificate's device class id.</param>
/// <param name="IssuerKeyId">The production key id, 16 hex digits.</param>
/// <param name="IssuedAt">The certificate's issue time (UTC, ISO 8601); empty when none.</param>
/// <param name="Error">Why it failed; empty on success.</param>
public sealed record ProvisioningRecord(string Uid, string Outcome, string PublicKey, string Certificate, uint SerialNumber, uint VendorId,
    uint DeviceClassId, string IssuerKeyId, string IssuedAt, string Error)
{
    /// <summary>The CSV header line.</summary>
    public const string CsvHeader = "uid,outcome,publicKey,certificate,serialNumber,vendorId,deviceClassId,issuerKeyId,issuedAt,error";

    internal static ProvisioningRecord From(ProvisioningResult result)
    {
        DeviceCertificate? c = result.Certificate;
        return new ProvisioningRecord(result.Uid.ToString(), result.Outcome.ToString(),
            c is null ? string.Empty : Convert.ToHexString(c.GetUncompressedPublicKey()),
            c?.ToHex() ?? string.Empty,
            c?.SerialNumber ?? 0, c?.VendorId ?? 0, c?.DeviceClassId ?? 0,
            c is null ? string.Empty : Convert.ToHexString(c.IssuerKeyId.Span).ToLowerInvariant(),
            c is null ? string.Empty : c.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            result.Error ?? string.Empty);
    }

    /// <summary>One JSON object on one line (no trailing newline), keys as in <see cref="CsvHeader"/>.</summary>
    public string ToJsonLine()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("uid", Uid);
            json.WriteString("outcome", Outcome);
            json.WriteString("publicKey", PublicKey);
            json.WriteString("certificate", Certificate);
            json.WriteNumber("serialNumber", SerialNumber);
            json.WriteNumber("vendorId", VendorId);
            json.WriteNumber("deviceClassId", DeviceClassId);
            json.WriteString("issuerKeyId", IssuerKeyId);
            json.WriteString("issuedAt", IssuedAt);
            json.WriteString("error", Error);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>One CSV line (RFC 4180 quoting of the error text), no trailing newline.</summary>
    public string ToCsvLine() => string.Join(',', Uid, Outcome, PublicKey, Certificate,
        SerialNumber.ToString(CultureInfo.InvariantCulture), VendorId.ToString(CultureInfo.InvariantCulture),
        DeviceClassId.ToString(CultureInfo.InvariantCulture), IssuerKeyId, IssuedAt, Quote(Error));

    private static string Quote(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") < 0 ? text : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// Appends provisioning records to the files a manufacturer's database imports: JSON lines (one object per line) or
/// CSV (with <see cref="ProvisioningRecord.CsvHeader"/> as the first line of a new file). Appending keeps the records of
/// earlier runs; each call writes whole lines, UTF-8 without a byte order mark, LF line ends.
/// </summary>
public static class ProvisioningRecordFile
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Appends one JSON line per record to <paramref name="path"/> (created when missing).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static Task AppendJsonLinesAsync(string path, IEnumerable<ProvisioningRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(records);
        return AppendAsync(path, records.Select(r => r.ToJsonLine()), cancellationToken);
    }

    /// <summary>Appends one CSV line per record to <paramref name="path"/>; a new file starts with the header line.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static Task AppendCsvAsync(string path, IEnumerable<ProvisioningRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(records);
        IEnumerable<string> lines = records.Select(r => r.ToCsvLine());
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
            lines = lines.Prepend(ProvisioningRecord.CsvHeader);
        return AppendAsync(path, lines, cancellationToken);
    }

    /// <summary>
    /// Reads every record of a file these methods wrote: CSV when its first line is <see cref="ProvisioningRecord.CsvHeader"/>,
    /// JSON lines otherwise (blank lines ignored).
    /// </summary>
    /// <exception cref="ProvisioningRecordFormatException">A line is not a record (the message names the line and why).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static async Task<IReadOnlyList<ProvisioningRecord>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text = await File.ReadAllTextAsync(path, s_utf8, cancellationToken).ConfigureAwait(false);
        return text.StartsWith(ProvisioningRecord.CsvHeader, StringComparison.Ordinal) ? ParseCsv(path, text) : ParseJsonLines(path, text);
    }

    private static List<ProvisioningRecord> ParseJsonLines(string path, string text)
    {
        var records = new List<ProvisioningRecord>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd('\r');
            if (line.Trim().Length == 0)
                continue;
            try
            {
                using JsonDocument document = JsonDocument.Parse(line);
                JsonElement o = document.RootElement;
                records.Add(new ProvisioningRecord(Text(o, "uid"), Text(o, "outcome"), Text(o, "publicKey"), Text(o, "certificate"),
                    o.GetProperty("serialNumber").GetUInt32(), o.GetProperty("vendorId").GetUInt32(), o.GetProperty("deviceClassId").GetUInt32(),
                    Text(o, "issuerKeyId"), Text(o, "issuedAt"), Text(o, "error")));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new ProvisioningRecordFormatException(path, i + 1, $"line {i + 1} is not a provisioning record: {e.Message}", e);
            }
        }
        return records;
    }

    private static string Text(JsonElement o, string name) => o.GetProperty(name).GetString() ?? throw new FormatException($"\"{name}\" is null");

    /// <summary>RFC 4180: fields separated by commas, a quoted field may hold commas, doubled quotes and line ends.</summary>
    private static List<ProvisioningRecord> ParseCsv(string path, string text)
    {
        var records = new List<ProvisioningRecord>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        bool quoted = false, header = true;
        while (i <= text.Length)
        {
            char c = i < text.Length ? text[i] : '\n';
            bool atEnd = i == text.Length;
            i++;
            if (quoted && !atEnd)
            {
                if (c == '"' && i < text.Length && text[i] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                    quoted = false;
                else
                {
                    if (c == '\n')
                        line++;
                    field.Append(c);
                }
                continue;
            }
            if (c == '"' && field.Length == 0)
                quoted = true;
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                if (!(fields.Count == 1 && fields[0].Length == 0))
                {
                    if (!header)
                        records.Add(CsvRecord(path, recordLine, fields));
                    header = false;
                }
                fields.Clear();
                recordLine = ++line;
            }
            else
                field.Append(c);
        }
        return records;
    }

    private static ProvisioningRecord CsvRecord(string path, int line, List<string> f)
    {
        if (f.Count != 10)
            throw new ProvisioningRecordFormatException(path, line, $"line {line} has {f.Count} fields, not 10");
        if (!uint.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out uint serial)
            || !uint.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out uint vendor)
            || !uint.TryParse(f[6], NumberStyles.None, CultureInfo.InvariantCulture, out uint deviceClass))
            throw new ProvisioningRecordFormatException(path, line, $"line {line} has a serial number, vendor or class that is not a decimal 32-bit number");
        return new ProvisioningRecord(f[0], f[1], f[2], f[3], serial, vendor, deviceClass, f[7], f[8], f[9]);
    }

    private static async Task AppendAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        // Built in memory first, then written in one append: a failure to build never leaves half a record.
        var text = new StringBuilder();
        foreach (string line in lines)
            text.Append(line).Append('\n');
        await File.AppendAllTextAsync(path, text.ToString(), s_utf8, cancellationToken).ConfigureAwait(false);
    }
}

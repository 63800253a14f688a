using System.Text;

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

    private static async Task AppendAsync(string path, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        // Built in memory first, then written in one append: a failure to build never leaves half a record.
        var text = new StringBuilder();
        foreach (string line in lines)
            text.Append(line).Append('\n');
        await File.AppendAllTextAsync(path, text.ToString(), s_utf8, cancellationToken).ConfigureAwait(false);
    }
}

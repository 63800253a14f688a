using System.Globalization;
using System.Text.RegularExpressions;

namespace Csa.Rpc.Tests.Support;

/// <summary>Reads the vector tables out of docs/rpc-packets.md, so the document and the tests cannot drift apart.</summary>
public static partial class GoldenDoc
{
    public static string DocumentPath
    {
        get
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "docs", "rpc-packets.md");
                if (File.Exists(candidate))
                    return candidate;
            }
            throw new FileNotFoundException("docs/rpc-packets.md not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The table rows between the begin and end markers, split into trimmed cells (header rows excluded).</summary>
    public static IReadOnlyList<string[]> Table(string marker)
    {
        string text = File.ReadAllText(DocumentPath);
        int begin = text.IndexOf($"<!-- {marker}:begin -->", StringComparison.Ordinal);
        int end = text.IndexOf($"<!-- {marker}:end -->", StringComparison.Ordinal);
        if (begin < 0 || end < begin)
            throw new InvalidDataException($"Markers for {marker} missing in {DocumentPath}.");
        return text[begin..end]
            .Split('\n')
            .Where(line => line.StartsWith('|'))
            .Skip(2) // header and separator
            .Select(line => line.Trim().Trim('|').Split('|').Select(cell => cell.Trim()).ToArray())
            .ToList();
    }

    /// <summary>Bytes from a cell like <c>`01 0A FF`</c> (an empty code span is no bytes).</summary>
    public static byte[] Hex(string cell)
    {
        string digits = cell.Trim('`').Replace(" ", "", StringComparison.Ordinal);
        return Convert.FromHexString(digits);
    }

    public static ushort U16(string cell) => ushort.Parse(cell.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>The text inside a quoted cell: <c>"no"</c> is <c>no</c>.</summary>
    public static string Quoted(string cell) => QuotedRegex().Match(cell) is { Success: true } m
        ? m.Groups[1].Value
        : throw new InvalidDataException($"Expected a quoted string, got '{cell}'.");

    [GeneratedRegex("^\"(.*)\"$")]
    private static partial Regex QuotedRegex();
}

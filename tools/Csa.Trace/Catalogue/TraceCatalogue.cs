using System.Text.RegularExpressions;

namespace Csa.Trace.Catalogue;

/// <summary>
/// The requirement and threat catalogue, read from the Markdown tables of docs/requirements.md: a table row whose first
/// cell is an id is an entry. The kind follows from the id's form (REQ-… is a requirement, THREAT.… and TUF.… are threats).
/// </summary>
internal sealed partial class TraceCatalogue
{
    private readonly Dictionary<string, CatalogueEntry> _entries;

    public TraceCatalogue(IEnumerable<CatalogueEntry> entries)
    {
        _entries = new Dictionary<string, CatalogueEntry>(StringComparer.Ordinal);
        foreach (CatalogueEntry entry in entries)
        {
            if (!_entries.TryAdd(entry.Id, entry))
                throw new TraceInputException($"the catalogue lists {entry.Id} twice");
        }
    }

    public IReadOnlyCollection<CatalogueEntry> Entries => _entries.Values;

    public IEnumerable<CatalogueEntry> Requirements => _entries.Values.Where(e => e.Kind == EntryKind.Requirement);

    public IEnumerable<CatalogueEntry> Threats => _entries.Values.Where(e => e.Kind == EntryKind.Threat);

    public bool TryGet(string id, out CatalogueEntry entry) => _entries.TryGetValue(id, out entry!);

    /// <summary>The kind an id of this form names, or null when it is no catalogue id at all (a CTest label like "unit").</summary>
    public static EntryKind? KindOf(string id) =>
        RequirementId().IsMatch(id) ? EntryKind.Requirement : ThreatId().IsMatch(id) ? EntryKind.Threat : null;

    public static TraceCatalogue Load(string path)
    {
        if (!File.Exists(path))
            throw new TraceInputException($"catalogue {path} does not exist");
        return Parse(File.ReadAllText(path), path);
    }

    public static TraceCatalogue Parse(string markdown, string name)
    {
        var entries = new List<CatalogueEntry>();
        List<string>? header = null;
        int lineNumber = 0;
        foreach (string raw in markdown.Split('\n'))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r').Trim();
            if (!line.StartsWith('|'))
            {
                header = null;
                continue;
            }
            List<string> cells = SplitRow(line);
            if (header is null)
            {
                header = cells.Select(c => c.ToLowerInvariant()).ToList();
                continue;
            }
            if (cells.All(c => c.Length > 0 && c.Trim(':', '-').Length == 0))
                continue; // the separator row
            string id = cells[0].Trim('`', '*');
            EntryKind? kind = KindOf(id);
            if (kind is null)
                continue;
            string Cell(params string[] names)
            {
                foreach (string n in names)
                {
                    int i = header!.IndexOf(n);
                    if (i >= 0 && i < cells.Count)
                        return cells[i];
                }
                return string.Empty;
            }
            string text = Cell("requirement", "threat");
            if (text.Length == 0)
                throw new TraceInputException($"{name}:{lineNumber}: {id} has no text");
            entries.Add(new CatalogueEntry(id, kind.Value, text, Cell("source"), Cell("how it is met (docs)", "how it is met")));
        }
        if (entries.Count == 0)
            throw new TraceInputException($"{name} lists no requirement or threat (a table row whose first cell is REQ-…, THREAT.… or TUF.…)");
        return new TraceCatalogue(entries);
    }

    /// <summary>The cells of a Markdown table row; a pipe inside backticks or escaped as \| does not split.</summary>
    private static List<string> SplitRow(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        bool code = false;
        for (int i = 1; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] == '|')
            {
                cell.Append('|');
                i++;
            }
            else if (c == '`')
            {
                code = !code;
                cell.Append(c);
            }
            else if (c == '|' && !code)
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }
        if (cell.ToString().Trim().Length > 0)
            cells.Add(cell.ToString().Trim());
        return cells;
    }

    [GeneratedRegex(@"^REQ-[A-Z0-9]+(-[A-Z0-9]+)*$")]
    private static partial Regex RequirementId();

    [GeneratedRegex(@"^(THREAT|TUF)(\.[A-Z0-9_]+)+$")]
    private static partial Regex ThreatId();
}

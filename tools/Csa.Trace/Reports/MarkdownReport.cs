using System.Globalization;
using System.Text;
using Csa.Trace.Matrix;
using Csa.Trace.Results;

namespace Csa.Trace.Reports;

/// <summary>The matrix as Markdown: summary, findings, one table per kind, the tests of every id, the inputs.</summary>
internal static class MarkdownReport
{
    public static string Write(TraceMatrix matrix, string catalogueName, string docsBase)
    {
        var md = new StringBuilder();
        IFormatProvider c = CultureInfo.InvariantCulture;
        md.Append("# Traceability matrix\n\n");
        md.Append(c, $"Commit `{matrix.Commit}` · generated {ReportText.Time(matrix.Generated)} · catalogue `{catalogueName}`\n\n");

        md.Append("## Summary\n\n| | verified | failing | not verified | total |\n|---|---:|---:|---:|---:|\n");
        SummaryRow(md, "requirements", matrix.Requirements);
        SummaryRow(md, "threats", matrix.Threats);
        IReadOnlySet<string> traced = matrix.TracedTests();
        md.Append(c, $"\nTest cases: {matrix.PassedCases} passed, {matrix.FailedCases} failed, {matrix.SkippedCases} skipped, ");
        md.Append(c, $"in {matrix.Tests.Count} tests ({traced.Count} name a catalogue id), from {matrix.Run.Files.Count} result files.\n\n");

        md.Append(c, $"## Findings ({matrix.Findings.Count})\n\n");
        if (matrix.Findings.Count == 0)
            md.Append("None: every requirement and every threat has a passing test, no test failed, and every id a test names is in the catalogue.\n\n");
        foreach (Finding f in matrix.Findings)
        {
            md.Append(c, $"- **{ReportText.Kind(f.Kind)}**: {Escape(f.Message)}\n");
            foreach (string t in f.Tests)
                md.Append(c, $"  - `{t}`\n");
        }
        if (matrix.Findings.Count > 0)
            md.Append('\n');

        md.Append("## Requirements\n\n| id | requirement | status | tests passed / failed / skipped | evidence | how it is met (docs) |\n|---|---|---|---|---|---|\n");
        foreach (IdRow row in matrix.Requirements)
            md.Append(c, $"| [{row.Entry.Id}](#{Anchor(row.Entry.Id)}) | {Escape(row.Entry.Text)} | {ReportText.Status(row.Status)} | {ReportText.Counts(row)} | {ReportText.Evidence(row)} | {Escape(ReportText.RebaseLinks(row.Entry.MetBy, docsBase))} |\n");
        md.Append("\n## Threats\n\n| id | threat | source | status | tests passed / failed / skipped | evidence | how it is met (docs) |\n|---|---|---|---|---|---|---|\n");
        foreach (IdRow row in matrix.Threats)
            md.Append(c, $"| [{row.Entry.Id}](#{Anchor(row.Entry.Id)}) | {Escape(row.Entry.Text)} | {Escape(row.Entry.Source)} | {ReportText.Status(row.Status)} | {ReportText.Counts(row)} | {ReportText.Evidence(row)} | {Escape(ReportText.RebaseLinks(row.Entry.MetBy, docsBase))} |\n");

        md.Append("\n## Tests per id\n");
        foreach (IdRow row in matrix.Requirements.Concat(matrix.Threats))
        {
            md.Append(c, $"\n### {row.Entry.Id}\n\n{row.Entry.Text}. Status: **{ReportText.Status(row.Status)}**.\n\n");
            if (row.Tests.Count == 0)
            {
                md.Append("No test names this id.\n");
                continue;
            }
            md.Append("| suite | test | outcome |\n|---|---|---|\n");
            foreach (TestSummary t in row.Tests)
                md.Append(c, $"| {t.Suite} | `{Escape(t.Test)}` | {ReportText.CaseCounts(t)} |\n");
        }

        md.Append("\n## Result files\n\n| file | kind | run started | test cases |\n|---|---|---|---:|\n");
        foreach (ResultFile f in matrix.Run.Files)
            md.Append(c, $"| `{f.Path}` | {f.Kind} | {ReportText.Time(f.Started)} | {f.Cases} |\n");

        IReadOnlyList<TestSummary> untraced = matrix.Untraced(traced);
        md.Append(c, $"\n## Tests that name no id ({untraced.Count})\n\n");
        md.Append("Not a finding: model and helper tests that verify no requirement by themselves. Per suite:\n\n| suite | tests |\n|---|---:|\n");
        foreach (IGrouping<string, TestSummary> g in untraced.GroupBy(t => t.Suite))
            md.Append(c, $"| {g.Key} | {g.Count()} |\n");
        return md.ToString();
    }

    private static void SummaryRow(StringBuilder md, string name, IReadOnlyList<IdRow> rows) =>
        md.Append(CultureInfo.InvariantCulture,
            $"| {name} | {rows.Count(r => r.Status == IdStatus.Verified)} | {rows.Count(r => r.Status == IdStatus.Failing)} | {rows.Count(r => r.Status == IdStatus.NotVerified)} | {rows.Count} |\n");

    /// <summary>GitHub's heading anchor for "### REQ-AUTH-FW": lower case, dots dropped.</summary>
    public static string Anchor(string id) => id.ToLowerInvariant().Replace(".", string.Empty, StringComparison.Ordinal);

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}

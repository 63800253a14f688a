using System.Globalization;
using System.Text;
using Csa.Trace.Matrix;
using Csa.Trace.Results;

namespace Csa.Trace.Reports;

/// <summary>The matrix as one self-contained HTML page (no scripts, no external files), the same content as the Markdown.</summary>
internal static class HtmlReport
{
    public static string Write(TraceMatrix matrix, string catalogueName, string docsBase)
    {
        var h = new StringBuilder();
        IFormatProvider c = CultureInfo.InvariantCulture;
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Traceability matrix</title>\n<style>\n");
        h.Append("body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;margin:1em 0}");
        h.Append("th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}th{background:#eee}");
        h.Append(".verified,.passed{color:#060}.failing,.failed,.finding{color:#b00;font-weight:bold}.not-verified,.skipped{color:#a60;font-weight:bold}");
        h.Append("code{font-size:90%}td.n{text-align:right}\n</style></head><body>\n");
        h.Append("<h1>Traceability matrix</h1>\n");
        h.Append(c, $"<p>Commit <code>{E(matrix.Commit)}</code> · generated {E(ReportText.Time(matrix.Generated))} · catalogue <code>{E(catalogueName)}</code></p>\n");

        h.Append("<h2>Summary</h2>\n<table><tr><th></th><th>verified</th><th>failing</th><th>not verified</th><th>total</th></tr>\n");
        SummaryRow(h, "requirements", matrix.Requirements);
        SummaryRow(h, "threats", matrix.Threats);
        h.Append("</table>\n");
        IReadOnlySet<string> traced = matrix.TracedTests();
        h.Append(c, $"<p>Test cases: {matrix.PassedCases} passed, {matrix.FailedCases} failed, {matrix.SkippedCases} skipped, in {matrix.Tests.Count} tests ");
        h.Append(c, $"({traced.Count} name a catalogue id), from {matrix.Run.Files.Count} result files.</p>\n");

        h.Append(c, $"<h2>Findings ({matrix.Findings.Count})</h2>\n");
        if (matrix.Findings.Count == 0)
            h.Append("<p>None: every requirement and every threat has a passing test, no test failed, and every id a test names is in the catalogue.</p>\n");
        else
        {
            h.Append("<ul>\n");
            foreach (Finding f in matrix.Findings)
            {
                h.Append(c, $"<li><span class=\"finding\">{E(ReportText.Kind(f.Kind))}</span>: {E(f.Message)}");
                if (f.Tests.Count > 0)
                    h.Append("<ul>").AppendJoin(string.Empty, f.Tests.Select(t => $"<li><code>{E(t)}</code></li>")).Append("</ul>");
                h.Append("</li>\n");
            }
            h.Append("</ul>\n");
        }

        h.Append("<h2>Requirements</h2>\n<table><tr><th>id</th><th>requirement</th><th>status</th><th>tests passed / failed / skipped</th><th>evidence</th><th>how it is met (docs)</th></tr>\n");
        foreach (IdRow row in matrix.Requirements)
            h.Append(c, $"<tr><td><a href=\"#{MarkdownReport.Anchor(row.Entry.Id)}\">{E(row.Entry.Id)}</a></td><td>{Inline(row.Entry.Text, docsBase)}</td>{StatusCell(row.Status)}<td>{ReportText.Counts(row)}</td><td>{E(ReportText.Evidence(row))}</td><td>{Inline(row.Entry.MetBy, docsBase)}</td></tr>\n");
        h.Append("</table>\n<h2>Threats</h2>\n<table><tr><th>id</th><th>threat</th><th>source</th><th>status</th><th>tests passed / failed / skipped</th><th>evidence</th><th>how it is met (docs)</th></tr>\n");
        foreach (IdRow row in matrix.Threats)
            h.Append(c, $"<tr><td><a href=\"#{MarkdownReport.Anchor(row.Entry.Id)}\">{E(row.Entry.Id)}</a></td><td>{Inline(row.Entry.Text, docsBase)}</td><td>{E(row.Entry.Source)}</td>{StatusCell(row.Status)}<td>{ReportText.Counts(row)}</td><td>{E(ReportText.Evidence(row))}</td><td>{Inline(row.Entry.MetBy, docsBase)}</td></tr>\n");
        h.Append("</table>\n<h2>Tests per id</h2>\n");
        foreach (IdRow row in matrix.Requirements.Concat(matrix.Threats))
        {
            h.Append(c, $"<h3 id=\"{MarkdownReport.Anchor(row.Entry.Id)}\">{E(row.Entry.Id)}</h3>\n<p>{Inline(row.Entry.Text, docsBase)}. Status: <span class=\"{Css(row.Status)}\">{E(ReportText.Status(row.Status))}</span>.</p>\n");
            if (row.Tests.Count == 0)
            {
                h.Append("<p>No test names this id.</p>\n");
                continue;
            }
            h.Append("<table><tr><th>suite</th><th>test</th><th>outcome</th></tr>\n");
            foreach (TestSummary t in row.Tests)
                h.Append(c, $"<tr><td>{E(t.Suite)}</td><td><code>{E(t.Test)}</code></td><td class=\"{OutcomeCss(t.Outcome)}\">{E(ReportText.CaseCounts(t))}</td></tr>\n");
            h.Append("</table>\n");
        }

        h.Append("<h2>Result files</h2>\n<table><tr><th>file</th><th>kind</th><th>run started</th><th>test cases</th></tr>\n");
        foreach (ResultFile f in matrix.Run.Files)
            h.Append(c, $"<tr><td><code>{E(f.Path)}</code></td><td>{E(f.Kind)}</td><td>{E(ReportText.Time(f.Started))}</td><td class=\"n\">{f.Cases}</td></tr>\n");
        h.Append("</table>\n");
        IReadOnlyList<TestSummary> untraced = matrix.Untraced(traced);
        h.Append(c, $"<h2>Tests that name no id ({untraced.Count})</h2>\n<p>Not a finding: model and helper tests that verify no requirement by themselves.</p>\n<table><tr><th>suite</th><th>tests</th></tr>\n");
        foreach (IGrouping<string, TestSummary> g in untraced.GroupBy(t => t.Suite))
            h.Append(c, $"<tr><td>{E(g.Key)}</td><td class=\"n\">{g.Count()}</td></tr>\n");
        h.Append("</table>\n</body></html>\n");
        return h.ToString();
    }

    private static void SummaryRow(StringBuilder h, string name, IReadOnlyList<IdRow> rows) =>
        h.Append(CultureInfo.InvariantCulture,
            $"<tr><th>{name}</th><td class=\"n\">{rows.Count(r => r.Status == IdStatus.Verified)}</td><td class=\"n\">{rows.Count(r => r.Status == IdStatus.Failing)}</td><td class=\"n\">{rows.Count(r => r.Status == IdStatus.NotVerified)}</td><td class=\"n\">{rows.Count}</td></tr>\n");

    private static string StatusCell(IdStatus status) => $"<td class=\"{Css(status)}\">{E(ReportText.Status(status))}</td>";

    private static string Css(IdStatus status) => status switch
    {
        IdStatus.Verified => "verified",
        IdStatus.Failing => "failing",
        _ => "not-verified",
    };

    private static string OutcomeCss(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => "passed",
        TestOutcome.Failed => "failed",
        _ => "skipped",
    };

    /// <summary>A catalogue cell as HTML: its Markdown links become links (rebased), `code` becomes code, the rest is escaped.</summary>
    private static string Inline(string markdown, string docsBase)
    {
        var html = new StringBuilder();
        foreach ((string before, string? text, string? target) in ReportText.Links(markdown))
        {
            html.Append(Code(before));
            if (text is not null && target is not null)
            {
                string href = target.StartsWith("http", StringComparison.Ordinal) || target.StartsWith('#') || docsBase.Length == 0 ? target : docsBase.TrimEnd('/') + "/" + target;
                html.Append("<a href=\"").Append(E(href)).Append("\">").Append(Code(text)).Append("</a>");
            }
        }
        return html.ToString();
    }

    private static string Code(string text)
    {
        string[] parts = text.Split('`');
        var html = new StringBuilder();
        for (int i = 0; i < parts.Length; i++)
            html.Append(i % 2 == 1 ? "<code>" + E(parts[i]) + "</code>" : E(parts[i]));
        return html.ToString();
    }

    /// <summary>Escapes what HTML needs escaped (the page is UTF-8, so § and the like stay readable in the source).</summary>
    private static string E(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&quot;", StringComparison.Ordinal);
}

using System.Globalization;
using System.Text.RegularExpressions;
using Csa.Trace.Matrix;
using Csa.Trace.Results;

namespace Csa.Trace.Reports;

/// <summary>Wording and link handling both reports share.</summary>
internal static partial class ReportText
{
    public static string Status(IdStatus status) => status switch
    {
        IdStatus.Verified => "verified",
        IdStatus.Failing => "FAILING",
        _ => "NOT VERIFIED",
    };

    public static string Outcome(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => "passed",
        TestOutcome.Failed => "FAILED",
        _ => "skipped",
    };

    public static string Kind(FindingKind kind) => kind switch
    {
        FindingKind.NoPassingTest => "no passing test",
        FindingKind.FailedTest => "failed test",
        _ => "unknown id",
    };

    public static string Counts(IdRow row)
    {
        int passed = row.Tests.Count(t => t.Outcome == TestOutcome.Passed);
        int failed = row.Tests.Count(t => t.Outcome == TestOutcome.Failed);
        int skipped = row.Tests.Count(t => t.Outcome == TestOutcome.Skipped);
        return string.Create(CultureInfo.InvariantCulture, $"{passed} / {failed} / {skipped}");
    }

    public static string Evidence(IdRow row) => string.Join(", ", row.Evidence.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Suite} ({e.Tests})")));

    public static string CaseCounts(TestSummary t) => t.Cases == 1
        ? Outcome(t.Outcome)
        : string.Create(CultureInfo.InvariantCulture, $"{Outcome(t.Outcome)} ({t.Passed} passed, {t.Failed} failed, {t.Skipped} skipped of {t.Cases} cases)");

    public static string Time(DateTimeOffset? time) =>
        time is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "-";

    /// <summary>Relative Markdown links of the catalogue ("updates.md#…") made relative to where the report is written.</summary>
    public static string RebaseLinks(string markdown, string docsBase) =>
        docsBase.Length == 0 ? markdown : RelativeLink().Replace(markdown, m => $"]({docsBase.TrimEnd('/')}/{m.Groups[1].Value})");

    /// <summary>A Markdown link's text and target, for the HTML report.</summary>
    public static IEnumerable<(string Before, string? Text, string? Target)> Links(string markdown)
    {
        int at = 0;
        foreach (Match m in MarkdownLink().Matches(markdown))
        {
            yield return (markdown[at..m.Index], m.Groups[1].Value, m.Groups[2].Value);
            at = m.Index + m.Length;
        }
        yield return (markdown[at..], null, null);
    }

    [GeneratedRegex(@"\]\((?!https?:|/|#)([^)]+)\)")]
    private static partial Regex RelativeLink();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)]+)\)")]
    private static partial Regex MarkdownLink();
}

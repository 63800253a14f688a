using System.Globalization;
using Csa.Trace.Catalogue;
using Csa.Trace.Matrix;
using Csa.Trace.Reports;
using Csa.Trace.Results;

namespace Csa.Trace;

/// <summary>One run: read the catalogue and the results, build the matrix, write both reports, say what was found.</summary>
internal static class TraceCommand
{
    public const int Ok = 0;
    public const int Findings = 1;
    public const int BadInput = 2;

    public static int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, DateTimeOffset? now = null)
    {
        try
        {
            if (args.Count > 0 && args[0] is "-h" or "--help")
            {
                stdout.WriteLine(TraceOptions.Usage);
                return Ok;
            }
            TraceOptions options = TraceOptions.Parse(args);
            (TraceMatrix matrix, string markdownPath, string htmlPath) = Write(options, now ?? DateTimeOffset.UtcNow);
            Report(matrix, markdownPath, htmlPath, stdout);
            return matrix.Findings.Count == 0 || options.ReportOnly ? Ok : Findings;
        }
        catch (TraceInputException e)
        {
            stderr.WriteLine($"csa-trace: {e.Message}");
            return BadInput;
        }
    }

    public static (TraceMatrix Matrix, string Markdown, string Html) Write(TraceOptions options, DateTimeOffset now)
    {
        TraceCatalogue catalogue = TraceCatalogue.Load(options.Catalogue);
        TestRun run = ResultCollector.Collect(options.ResultFolders);
        string commit = options.Commit ?? GitCommit.Of(Path.GetDirectoryName(Path.GetFullPath(options.Catalogue))!);
        TraceMatrix matrix = TraceMatrix.Build(catalogue, run, commit, now);

        Directory.CreateDirectory(options.OutputFolder);
        // The catalogue's links are relative to docs/; the reports live elsewhere.
        string docsBase = Path.GetRelativePath(Path.GetFullPath(options.OutputFolder), Path.GetDirectoryName(Path.GetFullPath(options.Catalogue))!).Replace('\\', '/');
        string name = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.GetFullPath(options.Catalogue)).Replace('\\', '/');
        string markdownPath = Path.Combine(options.OutputFolder, "traceability.md");
        string htmlPath = Path.Combine(options.OutputFolder, "traceability.html");
        File.WriteAllText(markdownPath, MarkdownReport.Write(matrix, name, docsBase));
        File.WriteAllText(htmlPath, HtmlReport.Write(matrix, name, docsBase));
        return (matrix, markdownPath, htmlPath);
    }

    private static void Report(TraceMatrix matrix, string markdownPath, string htmlPath, TextWriter stdout)
    {
        IFormatProvider c = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(c, $"traceability matrix: {markdownPath}, {htmlPath} (commit {matrix.Commit})"));
        stdout.WriteLine(string.Create(c, $"requirements: {matrix.Requirements.Count(r => r.Status == IdStatus.Verified)} of {matrix.Requirements.Count} verified; threats: {matrix.Threats.Count(r => r.Status == IdStatus.Verified)} of {matrix.Threats.Count} verified"));
        stdout.WriteLine(string.Create(c, $"findings: {matrix.Findings.Count}"));
        foreach (Finding f in matrix.Findings)
            stdout.WriteLine(string.Create(c, $"  {ReportText.Kind(f.Kind)}: {f.Message}{(f.Tests.Count > 0 ? $" ({f.Tests.Count} test(s), listed in the report)" : string.Empty)}"));
        // The closing line: the run's totals, in the one form every CI log reader counts.
        stdout.WriteLine(string.Create(c, $"trace: {matrix.PassedCases} passed, {matrix.FailedCases} failed, {matrix.SkippedCases} skipped"));
    }
}

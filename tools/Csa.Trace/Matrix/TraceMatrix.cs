using Csa.Trace.Catalogue;
using Csa.Trace.Results;

namespace Csa.Trace.Matrix;

/// <summary>Whether an id's verification holds in this run.</summary>
internal enum IdStatus
{
    /// <summary>At least one test naming the id passed and none failed.</summary>
    Verified,

    /// <summary>A test naming the id failed.</summary>
    Failing,

    /// <summary>No test naming the id passed (none names it, or all of them were skipped).</summary>
    NotVerified,
}

/// <summary>What the report flags, and the exit code reflects.</summary>
internal enum FindingKind
{
    /// <summary>A catalogue id that no passing test names.</summary>
    NoPassingTest,

    /// <summary>A catalogue id named by a failed test.</summary>
    FailedTest,

    /// <summary>A test names an id the catalogue does not have (or names a threat as a requirement, or the reverse).</summary>
    UnknownId,
}

/// <summary>One finding: what, which id, and the tests concerned.</summary>
internal sealed record Finding(FindingKind Kind, string Id, string Message, IReadOnlyList<string> Tests);

/// <summary>One test (a test method with all its theory rows, or one CTest test) and how its cases ended.</summary>
internal sealed record TestSummary(string Suite, string Test, int Passed, int Failed, int Skipped)
{
    public TestOutcome Outcome => Failed > 0 ? TestOutcome.Failed : Passed > 0 ? TestOutcome.Passed : TestOutcome.Skipped;

    public int Cases => Passed + Failed + Skipped;

    public string Qualified => $"{Suite}: {Test}";
}

/// <summary>A catalogue entry, the tests that name it, and its status.</summary>
internal sealed record IdRow(CatalogueEntry Entry, IReadOnlyList<TestSummary> Tests)
{
    public IdStatus Status => Tests.Any(t => t.Outcome == TestOutcome.Failed) ? IdStatus.Failing
        : Tests.Any(t => t.Outcome == TestOutcome.Passed) ? IdStatus.Verified
        : IdStatus.NotVerified;

    /// <summary>The suites whose tests verify the id, with how many tests each: where the evidence comes from.</summary>
    public IReadOnlyList<(string Suite, int Tests)> Evidence =>
        [.. Tests.GroupBy(t => t.Suite).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count()))];
}

/// <summary>The traceability matrix of one test run against the catalogue.</summary>
internal sealed class TraceMatrix
{
    private TraceMatrix(IReadOnlyList<IdRow> requirements, IReadOnlyList<IdRow> threats, IReadOnlyList<Finding> findings,
        IReadOnlyList<TestSummary> tests, TestRun run, string commit, DateTimeOffset generated)
    {
        Requirements = requirements;
        Threats = threats;
        Findings = findings;
        Tests = tests;
        Run = run;
        Commit = commit;
        Generated = generated;
    }

    public IReadOnlyList<IdRow> Requirements { get; }

    public IReadOnlyList<IdRow> Threats { get; }

    public IReadOnlyList<Finding> Findings { get; }

    /// <summary>Every test of the run, traced or not.</summary>
    public IReadOnlyList<TestSummary> Tests { get; }

    public TestRun Run { get; }

    public string Commit { get; }

    public DateTimeOffset Generated { get; }

    public int PassedCases => Run.Cases.Count(c => c.Outcome == TestOutcome.Passed);

    public int FailedCases => Run.Cases.Count(c => c.Outcome == TestOutcome.Failed);

    public int SkippedCases => Run.Cases.Count(c => c.Outcome == TestOutcome.Skipped);

    /// <summary>Tests that name no id at all (helpers, flash-model unit tests): listed, not a finding.</summary>
    public IReadOnlyList<TestSummary> Untraced(IReadOnlySet<string> traced) => [.. Tests.Where(t => !traced.Contains(t.Qualified))];

    public static TraceMatrix Build(TraceCatalogue catalogue, TestRun run, string commit, DateTimeOffset generated)
    {
        // One summary per test (theory rows folded), and which ids each names.
        var tests = new Dictionary<(string Suite, string Test), (int P, int F, int S, HashSet<NamedId> Ids)>();
        foreach (TestCaseResult c in run.Cases)
        {
            var key = (c.Suite, c.Test);
            if (!tests.TryGetValue(key, out var t))
                t = (0, 0, 0, []);
            t = c.Outcome switch
            {
                TestOutcome.Passed => (t.P + 1, t.F, t.S, t.Ids),
                TestOutcome.Failed => (t.P, t.F + 1, t.S, t.Ids),
                _ => (t.P, t.F, t.S + 1, t.Ids),
            };
            t.Ids.UnionWith(c.Ids);
            tests[key] = t;
        }
        List<TestSummary> summaries = [.. tests
            .Select(kv => new TestSummary(kv.Key.Suite, kv.Key.Test, kv.Value.P, kv.Value.F, kv.Value.S))
            .OrderBy(s => s.Suite, StringComparer.Ordinal).ThenBy(s => s.Test, StringComparer.Ordinal)];
        Dictionary<(string, string), TestSummary> bySummaryKey = summaries.ToDictionary(s => (s.Suite, s.Test));

        var named = new Dictionary<string, List<TestSummary>>(StringComparer.Ordinal);
        var unknown = new SortedDictionary<string, (string Message, List<string> Tests)>(StringComparer.Ordinal);
        foreach (((string Suite, string Test) key, var t) in tests)
        {
            foreach (NamedId id in t.Ids)
            {
                TestSummary summary = bySummaryKey[key];
                EntryKind? expected = id.Via switch { "Requirement" => EntryKind.Requirement, "Threat" => EntryKind.Threat, _ => null };
                if (catalogue.TryGet(id.Id, out CatalogueEntry entry) && (expected is null || entry.Kind == expected))
                {
                    if (!named.TryGetValue(id.Id, out List<TestSummary>? list))
                        named[id.Id] = list = [];
                    if (!list.Contains(summary))
                        list.Add(summary);
                    continue;
                }
                string message = catalogue.TryGet(id.Id, out CatalogueEntry other)
                    ? $"{id.Id} is a {other.Kind.ToString().ToLowerInvariant()} in the catalogue, but tests name it as a {id.Via}"
                    : $"{id.Id} is not in the catalogue (docs/requirements.md)";
                string label = $"{id.Via}={id.Id}";
                if (!unknown.TryGetValue(label, out var u))
                    unknown[label] = u = (message, []);
                u.Tests.Add(summary.Qualified);
            }
        }

        IdRow Row(CatalogueEntry e) => new(e, named.TryGetValue(e.Id, out List<TestSummary>? l)
            ? [.. l.OrderBy(s => s.Suite, StringComparer.Ordinal).ThenBy(s => s.Test, StringComparer.Ordinal)]
            : []);
        List<IdRow> requirements = [.. catalogue.Requirements.Select(Row)];
        List<IdRow> threats = [.. catalogue.Threats.Select(Row)];

        var findings = new List<Finding>();
        foreach (IdRow row in requirements.Concat(threats))
        {
            if (row.Status == IdStatus.NotVerified)
            {
                string why = row.Tests.Count == 0 ? "no test names it" : $"its {row.Tests.Count} test(s) did not run (skipped)";
                findings.Add(new Finding(FindingKind.NoPassingTest, row.Entry.Id, $"{row.Entry.Id} has no passing test: {why}", [.. row.Tests.Select(t => t.Qualified)]));
            }
            else if (row.Status == IdStatus.Failing)
            {
                List<string> failed = [.. row.Tests.Where(t => t.Outcome == TestOutcome.Failed).Select(t => t.Qualified)];
                findings.Add(new Finding(FindingKind.FailedTest, row.Entry.Id, $"{row.Entry.Id}: {failed.Count} test(s) naming it failed", failed));
            }
        }
        foreach ((string label, var u) in unknown)
            findings.Add(new Finding(FindingKind.UnknownId, label[(label.IndexOf('=') + 1)..], u.Message, [.. u.Tests.Order(StringComparer.Ordinal)]));

        return new TraceMatrix(requirements, threats, findings, summaries, run, commit, generated);
    }

    /// <summary>Every test (qualified name) that names at least one catalogue id.</summary>
    public IReadOnlySet<string> TracedTests() =>
        Requirements.Concat(Threats).SelectMany(r => r.Tests).Select(t => t.Qualified).ToHashSet(StringComparer.Ordinal);
}

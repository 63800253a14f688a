namespace Csa.Trace.Results;

/// <summary>How one test case ended. Anything but passed or not run (a failure, an error, a timeout, an abort) is failed.</summary>
internal enum TestOutcome
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>An id a test names, and how it names it.</summary>
/// <param name="Id">The id as written.</param>
/// <param name="Via">"Requirement" or "Threat" (xunit trait name), or "label" (a CTest label).</param>
internal sealed record NamedId(string Id, string Via);

/// <summary>One executed test case (one theory row, one CTest test).</summary>
/// <param name="Suite">The test assembly ("Csa.Bootloader.Tests") or the CTest report ("ctest:gcc-unit").</param>
/// <param name="Test">The test: "Namespace.Class.Method" for xunit, the CTest test's name.</param>
/// <param name="Case">The case's display name (a theory row's arguments); equal to <paramref name="Test"/> otherwise.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Ids">The requirement and threat ids it names.</param>
/// <param name="Origin">The result file it came from.</param>
internal sealed record TestCaseResult(string Suite, string Test, string Case, TestOutcome Outcome, IReadOnlyList<NamedId> Ids, string Origin);

/// <summary>Everything read from the result files.</summary>
/// <param name="Cases">Every test case.</param>
/// <param name="Files">Each result file read, with what it held.</param>
internal sealed record TestRun(IReadOnlyList<TestCaseResult> Cases, IReadOnlyList<ResultFile> Files);

/// <summary>One result file: its path, its kind ("trx", "ctest"), when the run it records started, how many cases it held.</summary>
internal sealed record ResultFile(string Path, string Kind, DateTimeOffset? Started, int Cases);

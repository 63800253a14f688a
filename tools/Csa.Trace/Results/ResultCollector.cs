namespace Csa.Trace.Results;

/// <summary>Finds and reads every result file under the given folders: *.trx and *.junit.xml (with its *.tests.json).</summary>
internal static class ResultCollector
{
    public static TestRun Collect(IEnumerable<string> folders)
    {
        var traits = new TraitReader();
        var cases = new List<TestCaseResult>();
        var files = new List<ResultFile>();
        foreach (string folder in folders)
        {
            if (!Directory.Exists(folder))
                throw new TraceInputException($"results folder {folder} does not exist (run `dotnet test` first)");
            foreach (string path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                (IReadOnlyList<TestCaseResult> Cases, ResultFile File)? read =
                    path.EndsWith(".trx", StringComparison.OrdinalIgnoreCase) ? TrxReader.Read(path, traits)
                    : path.EndsWith(CTestReader.JUnitSuffix, StringComparison.OrdinalIgnoreCase) ? CTestReader.Read(path)
                    : null;
                if (read is { } r)
                {
                    cases.AddRange(r.Cases);
                    files.Add(r.File);
                }
            }
        }
        if (files.Count == 0)
            throw new TraceInputException($"no test results (*.trx, *{CTestReader.JUnitSuffix}) in {string.Join(", ", folders)}");
        return new TestRun(cases, files);
    }
}

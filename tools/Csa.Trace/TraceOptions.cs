namespace Csa.Trace;

/// <summary>What one run of the tool reads and writes.</summary>
internal sealed record TraceOptions
{
    /// <summary>Folders searched (recursively) for *.trx and *.junit.xml.</summary>
    public required IReadOnlyList<string> ResultFolders { get; init; }

    /// <summary>docs/requirements.md.</summary>
    public required string Catalogue { get; init; }

    /// <summary>Where traceability.md and traceability.html are written.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>The commit the tests ran on; null: asked from git where the catalogue lives.</summary>
    public string? Commit { get; init; }

    /// <summary>Exit 0 even with findings (the report still lists them).</summary>
    public bool ReportOnly { get; init; }

    public const string Usage = """
        csa-trace: the traceability matrix of a test run (README "Traceability", docs/requirements.md).

        usage: csa-trace [--results DIR]... [--catalogue FILE] [--out DIR] [--commit SHA] [--report-only]

          --results DIR    folder with the test results, searched recursively: *.trx (dotnet test) and
                           NAME.junit.xml + NAME.tests.json (CTest); repeatable (default: TestResults)
          --catalogue FILE the requirement and threat catalogue (default: docs/requirements.md)
          --out DIR        where traceability.md and traceability.html go (default: TestResults/traceability)
          --commit SHA     the commit the tests ran on (default: git rev-parse HEAD, "+dirty" with local changes)
          --report-only    exit 0 even when there are findings

        exit codes: 0 no findings; 1 findings (an id without a passing test, a failed test, a test naming an
        unknown id); 2 bad usage or unreadable input.
        """;

    /// <summary>Parses the command line; throws <see cref="TraceInputException"/> with what is wrong.</summary>
    public static TraceOptions Parse(IReadOnlyList<string> args)
    {
        var results = new List<string>();
        string catalogue = Path.Combine("docs", "requirements.md");
        string output = Path.Combine("TestResults", "traceability");
        string? commit = null;
        bool reportOnly = false;
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new TraceInputException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--results": results.Add(Value()); break;
                case "--catalogue": catalogue = Value(); break;
                case "--out": output = Value(); break;
                case "--commit": commit = Value(); break;
                case "--report-only": reportOnly = true; break;
                default: throw new TraceInputException($"unknown argument '{args[i]}'");
            }
        }
        return new TraceOptions
        {
            ResultFolders = results.Count > 0 ? results : ["TestResults"],
            Catalogue = catalogue,
            OutputFolder = output,
            Commit = commit,
            ReportOnly = reportOnly,
        };
    }
}

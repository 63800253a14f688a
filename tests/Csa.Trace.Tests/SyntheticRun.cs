using System.Security;
using System.Text;

namespace Csa.Trace.Tests;

/// <summary>
/// The test methods a synthetic trx file points at: never run as tests (no [Fact]), they only carry the traits the
/// matrix reads from this assembly's metadata, as real test methods do.
/// </summary>
[Trait("Requirement", "REQ-B")]
public class SyntheticFixture
{
    [Trait("Requirement", "REQ-A")]
    [Trait("Threat", "THREAT.X.ONE")]
    public void Verifies_a_and_x() { }

    [Trait("Requirement", "REQ-A")]
    public void Also_verifies_a() { }

    [Trait("Threat", "TUF.Y")]
    public void Verifies_y() { }

    [Trait("Requirement", "REQ-UNKNOWN")]
    public void Names_an_unknown_id() { }

    [Trait("Requirement", "THREAT.X.ONE")]
    public void Names_a_threat_as_a_requirement() { }

    [Trait("Category", "Exhaustive")]
    public void Names_no_catalogue_id() { }

    public class Nested
    {
        [Trait("Threat", "TUF.Y")]
        public void In_a_nested_class() { }
    }
}

/// <summary>A class whose traits come from its base class too, as xunit gives them.</summary>
public class DerivedFixture : SyntheticFixture
{
    [Trait("Threat", "THREAT.X.ONE")]
    public void Derived_method() { }
}

/// <summary>Writes synthetic result files in the formats `dotnet test` (trx) and CTest (JUnit + --show-only=json-v1) write.</summary>
internal sealed class SyntheticRun : IDisposable
{
    public const string Catalogue = """
        # catalogue

        | id | requirement | how it is met (docs) |
        |---|---|---|
        | REQ-A | the first requirement | [a.md §1](a.md#1-first) |
        | REQ-B | the second requirement, with a `code | pipe` | b.md |
        | REQ-C | the third requirement | c.md |

        | id | threat | source | how it is met (docs) |
        |---|---|---|---|
        | THREAT.X.ONE | a threat | RFC 9124 §4.2 | [security.md §6](security.md#6-threats) |
        | TUF.Y | an attack | TUF | security.md |
        """;

    public SyntheticRun()
    {
        Root = Path.Combine(Path.GetTempPath(), $"csa-trace-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(Root, "docs"));
        Directory.CreateDirectory(Results);
        File.WriteAllText(CataloguePath, Catalogue);
    }

    public string Root { get; }

    public string Results => Path.Combine(Root, "TestResults");

    public string Output => Path.Combine(Root, "TestResults", "traceability");

    public string CataloguePath => Path.Combine(Root, "docs", "requirements.md");

    public static string Assembly => typeof(SyntheticFixture).Assembly.Location;

    /// <summary>A trx file: each result is (class, method, display name, outcome), in the layout the trx logger writes.</summary>
    public void Trx(string name, params (string Class, string Method, string Case, string Outcome)[] results)
    {
        var xml = new StringBuilder();
        xml.Append("""<?xml version="1.0" encoding="utf-8"?>""").Append('\n');
        xml.Append("""<TestRun id="1" name="synthetic" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">""").Append('\n');
        xml.Append("""  <Times creation="2026-12-07T05:11:01+00:00" start="2026-12-07T05:10:58+00:00" finish="2026-12-07T05:11:01+00:00" />""").Append('\n');
        xml.Append("  <Results>\n");
        for (int i = 0; i < results.Length; i++)
            xml.Append($"""    <UnitTestResult executionId="e{i}" testId="t{results[i].Class}.{results[i].Method}" testName="{SecurityElement.Escape(results[i].Case)}" outcome="{results[i].Outcome}" />""").Append('\n');
        xml.Append("  </Results>\n  <TestDefinitions>\n");
        foreach (var test in results.DistinctBy(r => (r.Class, r.Method)))
        {
            xml.Append($"""    <UnitTest name="{SecurityElement.Escape(test.Method)}" storage="{Assembly.ToLowerInvariant()}" id="t{test.Class}.{test.Method}">""").Append('\n');
            xml.Append($"""      <TestMethod codeBase="{Assembly}" adapterTypeName="executor://xunit/VsTestRunner3/netcore/" className="{test.Class}" name="{test.Method}" />""").Append('\n');
            xml.Append("    </UnitTest>\n");
        }
        xml.Append("  </TestDefinitions>\n</TestRun>\n");
        File.WriteAllText(Path.Combine(Results, name + ".trx"), xml.ToString());
    }

    /// <summary>A CTest run: NAME.junit.xml as `ctest --output-junit` writes it, NAME.tests.json as `ctest --show-only=json-v1`.</summary>
    public void CTest(string name, params (string Test, string Status, string[] Labels)[] tests)
    {
        var junit = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"(empty)\" tests=\"" + tests.Length + "\" timestamp=\"2026-12-07T05:09:50\">\n");
        foreach (var t in tests)
        {
            junit.Append($"\t<testcase name=\"{t.Test}\" classname=\"{t.Test}\" time=\"0.01\" status=\"{t.Status}\">\n");
            if (t.Status == "fail")
                junit.Append("\t\t<failure message=\"\"/>\n");
            if (t.Status == "notrun")
                junit.Append("\t\t<skipped message=\"SKIP_RETURN_CODE=77\"/>\n");
            junit.Append("\t\t<system-out></system-out>\n\t</testcase>\n");
        }
        junit.Append("</testsuite>");
        Directory.CreateDirectory(Path.Combine(Results, "ctest"));
        File.WriteAllText(Path.Combine(Results, "ctest", name + ".junit.xml"), junit.ToString());
        string list = "{\"kind\":\"ctestInfo\",\"version\":{\"major\":1,\"minor\":0},\"tests\":[" + string.Join(",", tests.Select(t =>
            $"{{\"name\":\"{t.Test}\",\"command\":[\"/bin/true\"],\"properties\":[{{\"name\":\"LABELS\",\"value\":[{string.Join(",", t.Labels.Select(l => $"\"{l}\""))}]}},{{\"name\":\"WORKING_DIRECTORY\",\"value\":\"/tmp\"}}]}}")) + "]}";
        File.WriteAllText(Path.Combine(Results, "ctest", name + ".tests.json"), list);
    }

    public (int ExitCode, string Stdout, string Stderr) Run(params string[] extra)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args = ["--results", Results, "--catalogue", CataloguePath, "--out", Output, "--commit", "0123abcd", .. extra];
        int code = TraceCommand.Run(args, stdout, stderr, new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
        return (code, stdout.ToString(), stderr.ToString());
    }

    public string Markdown => File.ReadAllText(Path.Combine(Output, "traceability.md"));

    public string Html => File.ReadAllText(Path.Combine(Output, "traceability.html"));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

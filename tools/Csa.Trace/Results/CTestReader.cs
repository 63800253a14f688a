using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;

namespace Csa.Trace.Results;

/// <summary>
/// Reads one CTest run: <c>NAME.junit.xml</c>, as <c>ctest --output-junit</c> writes it (outcomes), and beside it
/// <c>NAME.tests.json</c>, as <c>ctest --show-only=json-v1</c> writes it (each test's LABELS: CTest's JUnit report
/// does not carry labels). Labels of the catalogue's forms (REQ-…, THREAT.…, TUF.…) are the ids a test names; other
/// labels (unit, fuzz) are ignored. Without the test list, the tests count as naming no id.
/// </summary>
internal static class CTestReader
{
    public const string JUnitSuffix = ".junit.xml";
    public const string TestListSuffix = ".tests.json";

    public static (IReadOnlyList<TestCaseResult> Cases, ResultFile File) Read(string junitPath)
    {
        string stem = Path.GetFileName(junitPath)[..^JUnitSuffix.Length];
        string listPath = Path.Combine(Path.GetDirectoryName(junitPath) ?? ".", stem + TestListSuffix);
        IReadOnlyDictionary<string, IReadOnlyList<string>> labels = File.Exists(listPath) ? ReadLabels(listPath) : new Dictionary<string, IReadOnlyList<string>>();

        XDocument doc;
        try
        {
            doc = XDocument.Load(junitPath);
        }
        catch (Exception e) when (e is System.Xml.XmlException or IOException)
        {
            throw new TraceInputException($"{junitPath} is not a readable JUnit file: {e.Message}", e);
        }
        if (doc.Root?.Name.LocalName is not ("testsuite" or "testsuites"))
            throw new TraceInputException($"{junitPath} is not a JUnit report (its root is {doc.Root?.Name.LocalName}, not testsuite)");

        var cases = new List<TestCaseResult>();
        foreach (XElement testCase in doc.Descendants("testcase"))
        {
            string name = (string?)testCase.Attribute("name") ?? throw new TraceInputException($"{junitPath}: a testcase without a name");
            TestOutcome outcome = testCase.Element("failure") is not null || testCase.Element("error") is not null ? TestOutcome.Failed
                : testCase.Element("skipped") is not null || (string?)testCase.Attribute("status") is "notrun" or "disabled" ? TestOutcome.Skipped
                : (string?)testCase.Attribute("status") is null or "run" or "passed" ? TestOutcome.Passed
                : TestOutcome.Failed;
            IReadOnlyList<NamedId> ids = labels.TryGetValue(name, out IReadOnlyList<string>? l)
                ? [.. l.Where(TrxReader.LooksLikeId).Select(id => new NamedId(id, "label"))]
                : [];
            cases.Add(new TestCaseResult("ctest:" + stem, name, name, outcome, ids, junitPath));
        }

        DateTimeOffset? started = null;
        string? timestamp = (string?)doc.Root.Attribute("timestamp");
        if (timestamp is not null && DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t))
            started = t;
        return (cases, new ResultFile(junitPath, File.Exists(listPath) ? "ctest" : "ctest (no test list: no labels)", started, cases.Count));
    }

    private static Dictionary<string, IReadOnlyList<string>> ReadLabels(string path)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        try
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllText(path));
            if (!json.RootElement.TryGetProperty("tests", out JsonElement tests) || tests.ValueKind != JsonValueKind.Array)
                throw new TraceInputException($"{path} is not `ctest --show-only=json-v1` output (no \"tests\" array)");
            foreach (JsonElement test in tests.EnumerateArray())
            {
                if (!test.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String)
                    continue;
                var labels = new List<string>();
                if (test.TryGetProperty("properties", out JsonElement properties) && properties.ValueKind == JsonValueKind.Array)
                {
                    foreach (JsonElement property in properties.EnumerateArray())
                    {
                        if (property.TryGetProperty("name", out JsonElement n) && n.GetString() == "LABELS"
                            && property.TryGetProperty("value", out JsonElement v) && v.ValueKind == JsonValueKind.Array)
                            labels.AddRange(v.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!));
                    }
                }
                result[name.GetString()!] = labels;
            }
        }
        catch (JsonException e)
        {
            throw new TraceInputException($"{path} is not valid JSON: {e.Message}", e);
        }
        return result;
    }
}

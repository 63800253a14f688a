using System.Globalization;
using System.Xml.Linq;
using Csa.Trace.Catalogue;

namespace Csa.Trace.Results;

/// <summary>
/// Reads a Visual Studio test results file (trx) as `dotnet test` writes it: each UnitTestResult with its outcome, its
/// UnitTest's assembly, class and method, and the method's Requirement and Threat traits from the assembly itself.
/// </summary>
internal static class TrxReader
{
    private static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public static (IReadOnlyList<TestCaseResult> Cases, ResultFile File) Read(string path, TraitReader traits)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Load(path);
        }
        catch (Exception e) when (e is System.Xml.XmlException or IOException)
        {
            throw new TraceInputException($"{path} is not a readable trx file: {e.Message}", e);
        }
        XElement root = doc.Root ?? throw new TraceInputException($"{path} is empty");
        if (root.Name != Ns + "TestRun")
            throw new TraceInputException($"{path} is not a trx file (its root is {root.Name.LocalName}, not TestRun)");

        var definitions = new Dictionary<string, (string Storage, string ClassName, string Method)>(StringComparer.Ordinal);
        foreach (XElement unitTest in root.Descendants(Ns + "UnitTest"))
        {
            XElement? method = unitTest.Element(Ns + "TestMethod");
            string? id = (string?)unitTest.Attribute("id");
            if (method is null || id is null)
                continue;
            string storage = (string?)method.Attribute("codeBase") ?? (string?)unitTest.Attribute("storage") ?? string.Empty;
            definitions[id] = (storage, (string?)method.Attribute("className") ?? string.Empty, (string?)method.Attribute("name") ?? string.Empty);
        }

        var cases = new List<TestCaseResult>();
        foreach (XElement result in root.Descendants(Ns + "UnitTestResult"))
        {
            string testId = (string?)result.Attribute("testId") ?? string.Empty;
            if (!definitions.TryGetValue(testId, out var definition))
                throw new TraceInputException($"{path}: result {(string?)result.Attribute("testName")} names test {testId}, which the file does not define");
            string suite = Path.GetFileNameWithoutExtension(definition.Storage);
            var ids = new List<NamedId>();
            foreach ((string name, string value) in traits.Read(definition.Storage, definition.ClassName, definition.Method))
            {
                if (name is "Requirement" or "Threat")
                    ids.Add(new NamedId(value, name));
            }
            cases.Add(new TestCaseResult(suite, definition.ClassName + "." + definition.Method,
                (string?)result.Attribute("testName") ?? definition.Method, Outcome((string?)result.Attribute("outcome")), ids, path));
        }

        DateTimeOffset? started = null;
        string? start = (string?)root.Element(Ns + "Times")?.Attribute("start");
        if (start is not null && DateTimeOffset.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset s))
            started = s;
        return (cases, new ResultFile(path, "trx", started, cases.Count));
    }

    /// <summary>trx outcomes: Passed; NotExecuted, Inconclusive, Pending, Disconnected... are not a pass but not a failure either.</summary>
    private static TestOutcome Outcome(string? outcome) => outcome switch
    {
        "Passed" or "PassedButRunAborted" => TestOutcome.Passed,
        "NotExecuted" or "Inconclusive" or "Pending" or "NotRunnable" => TestOutcome.Skipped,
        _ => TestOutcome.Failed, // Failed, Error, Timeout, Aborted, Disconnected, Warning, Completed without a pass, unknown
    };

    /// <summary>Whether a label or trait value has the form of a catalogue id.</summary>
    internal static bool LooksLikeId(string value) => TraceCatalogue.KindOf(value) is not null;
}

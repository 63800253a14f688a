using System.Text;
using System.Xml.Linq;

namespace Csa.Firmware.Tests.Support;

/// <summary>One CTest test's outcome, from CTest's JUnit report.</summary>
internal sealed record CTestResult(string Name, bool Passed, double Seconds, string Output);

/// <summary>Runs CTest in a build folder and reads back every test's result.</summary>
internal static class CTestRun
{
    public static async Task<IReadOnlyList<CTestResult>> RunAsync(string buildDir, string label, int parallel = 2)
    {
        string report = Path.Combine(buildDir, $"ctest-{label}.xml");
        File.Delete(report);
        ProcessResult run = await ProcessRunner.RunAsync("ctest",
            ["--test-dir", buildDir, "-L", $"^{label}$", "--output-junit", report, "--test-output-size-passed", "65536", "--test-output-size-failed", "262144", "--test-output-truncation", "head", "--parallel", parallel.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-tests=error"],
            buildDir);
        if (!File.Exists(report))
            throw new InvalidOperationException($"ctest wrote no report:\n{run}");
        var results = new List<CTestResult>();
        foreach (XElement testCase in XDocument.Load(report).Descendants("testcase"))
        {
            string name = (string?)testCase.Attribute("name") ?? "?";
            bool passed = testCase.Element("failure") is null && testCase.Element("error") is null && (string?)testCase.Attribute("status") != "fail";
            double seconds = double.TryParse((string?)testCase.Attribute("time"), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double t) ? t : 0;
            string output = (string?)testCase.Element("system-out") ?? string.Empty;
            results.Add(new CTestResult(name, passed, seconds, output));
        }

        if (results.Count == 0)
            throw new InvalidOperationException($"ctest ran no test labelled {label}:\n{run}");
        await KeepForTraceabilityAsync(buildDir, label, report);
        if (run.ExitCode != 0 && results.All(r => r.Passed))
            throw new InvalidOperationException($"ctest failed without a failed test:\n{run}");
        return results;
    }

    /// <summary>
    /// Leaves the run where the traceability matrix reads C results (README "Traceability"): TestResults/ctest/
    /// BUILD-LABEL.junit.xml (the outcomes) and BUILD-LABEL.tests.json (the test list with its labels, which carry the
    /// requirement ids; JUnit reports do not keep labels).
    /// </summary>
    private static async Task KeepForTraceabilityAsync(string buildDir, string label, string report)
    {
        string folder = Path.Combine(FirmwareBuild.RepositoryRoot, "TestResults", "ctest");
        Directory.CreateDirectory(folder);
        string name = $"{Path.GetFileName(buildDir.TrimEnd(Path.DirectorySeparatorChar))}-{label}";
        File.Copy(report, Path.Combine(folder, name + ".junit.xml"), overwrite: true);
        ProcessResult list = await ProcessRunner.RunAsync("ctest", ["--test-dir", buildDir, "-L", $"^{label}$", "--show-only=json-v1"], buildDir);
        if (list.ExitCode != 0)
            throw new InvalidOperationException($"ctest could not list the tests labelled {label}:\n{list}");
        int start = list.Output.IndexOf('{', StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(folder, name + ".tests.json"), start < 0 ? list.Output : list.Output[start..]);
    }

    /// <summary>A failure message naming every failed C test with its output; null when all passed.</summary>
    public static string? Describe(IReadOnlyList<CTestResult> results)
    {
        List<CTestResult> failed = results.Where(r => !r.Passed).ToList();
        if (failed.Count == 0)
            return null;
        var text = new StringBuilder($"{failed.Count} of {results.Count} C tests failed: {string.Join(", ", failed.Select(f => f.Name))}\n");
        foreach (CTestResult f in failed)
            text.Append("--- ").Append(f.Name).Append(" ---\n").Append(f.Output.Length > 4000 ? f.Output[..4000] + "\n..." : f.Output).Append('\n');
        return text.ToString();
    }
}

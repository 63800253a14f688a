using System.Diagnostics;
using Csa.Trace.Catalogue;

namespace Csa.Trace.Tests;

/// <summary>The matrix on small synthetic runs: what it counts as verified, what it flags, and its exit code.</summary>
public sealed class TraceMatrixTests : IDisposable
{
    private const string Fixture = "Csa.Trace.Tests.SyntheticFixture";
    private readonly SyntheticRun _run = new();

    public void Dispose() => _run.Dispose();

    /// <summary>Every catalogue id verified: C# tests (trx) for REQ-A, REQ-B (class trait), THREAT.X.ONE, TUF.Y; a C test (CTest label) for REQ-C.</summary>
    private void AllVerified()
    {
        _run.Trx("Csa.Synthetic.Tests",
            (Fixture, "Verifies_a_and_x", "Verifies_a_and_x", "Passed"),
            (Fixture, "Verifies_y", "Verifies_y(case: 1)", "Passed"),
            (Fixture, "Verifies_y", "Verifies_y(case: 2)", "Passed"),
            (Fixture, "Names_no_catalogue_id", "Names_no_catalogue_id", "Passed"));
        _run.CTest("gcc-unit", ("boot.update", "run", ["unit", "REQ-C", "THREAT.X.ONE"]));
    }

    [Fact]
    public void A_run_that_verifies_every_id_has_no_finding_and_exits_0()
    {
        AllVerified();
        (int code, string stdout, string stderr) = _run.Run();

        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("requirements: 3 of 3 verified; threats: 2 of 2 verified", stdout, StringComparison.Ordinal);
        Assert.EndsWith("trace: 5 passed, 0 failed, 0 skipped\n", stdout.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        string md = _run.Markdown;
        Assert.Contains("Commit `0123abcd`", md, StringComparison.Ordinal);
        Assert.Contains("## Findings (0)", md, StringComparison.Ordinal);
        Assert.Contains("| [REQ-A](#req-a) | the first requirement | verified | 1 / 0 / 0 | Csa.Trace.Tests (1) | [a.md §1](../../docs/a.md#1-first) |", md, StringComparison.Ordinal);
        Assert.Contains("| [REQ-C](#req-c) | the third requirement | verified | 1 / 0 / 0 | ctest:gcc-unit (1) | c.md |", md, StringComparison.Ordinal);
        // THREAT.X.ONE: a C# test and a C test; TUF.Y: one test with two theory rows.
        Assert.Contains("| [THREAT.X.ONE](#threatxone) | a threat | RFC 9124 §4.2 | verified | 2 / 0 / 0 | Csa.Trace.Tests (1), ctest:gcc-unit (1) |", md, StringComparison.Ordinal);
        Assert.Contains($"| Csa.Trace.Tests | `{Fixture}.Verifies_y` | passed (2 passed, 0 failed, 0 skipped of 2 cases) |", md, StringComparison.Ordinal);
        Assert.Contains("(#req-b) | the second requirement, with a `code \\| pipe`", md, StringComparison.Ordinal); // a pipe in a cell is escaped
        Assert.True(md.Contains("## Tests that name no id (0)", StringComparison.Ordinal), md); // Names_no_catalogue_id has REQ-B from its class
        string html = _run.Html;
        Assert.Contains("<a href=\"../../docs/security.md#6-threats\">security.md §6</a>", html, StringComparison.Ordinal);
        Assert.Contains("<code>code | pipe</code>", html, StringComparison.Ordinal);
        Assert.Contains("<td class=\"verified\">verified</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void An_id_without_a_passing_test_is_a_finding_and_exits_1()
    {
        _run.Trx("Csa.Synthetic.Tests", (Fixture, "Verifies_a_and_x", "Verifies_a_and_x", "Passed"));
        (int code, string stdout, _) = _run.Run();

        Assert.Equal(1, code);
        Assert.Contains("no passing test: REQ-C has no passing test: no test names it", stdout, StringComparison.Ordinal);
        Assert.Contains("no passing test: TUF.Y has no passing test: no test names it", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("REQ-A has no passing test", stdout, StringComparison.Ordinal);
        Assert.Contains("| [REQ-C](#req-c) | the third requirement | NOT VERIFIED | 0 / 0 / 0 |", _run.Markdown, StringComparison.Ordinal);
        Assert.Equal(0, _run.Run("--report-only").ExitCode);
    }

    [Fact]
    public void Skipped_tests_do_not_verify_an_id()
    {
        AllVerified();
        _run.Trx("Csa.Synthetic.Tests", (Fixture, "Verifies_a_and_x", "Verifies_a_and_x", "Passed"), (Fixture, "Verifies_y", "Verifies_y", "NotExecuted"));
        _run.CTest("gcc-unit", ("boot.update", "notrun", ["REQ-C"]));
        (int code, string stdout, _) = _run.Run();

        Assert.Equal(1, code);
        Assert.Contains("TUF.Y has no passing test: its 1 test(s) did not run (skipped)", stdout, StringComparison.Ordinal);
        Assert.Contains("REQ-C has no passing test: its 1 test(s) did not run (skipped)", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_test_is_a_finding_for_every_id_it_names()
    {
        AllVerified();
        _run.Trx("Csa.More.Tests", (Fixture, "Also_verifies_a", "Also_verifies_a", "Failed"));
        _run.CTest("clang-unit", ("boot.sweep", "fail", ["REQ-C"]));
        (int code, string stdout, _) = _run.Run();

        Assert.Equal(1, code);
        Assert.Contains("failed test: REQ-A: 1 test(s) naming it failed", stdout, StringComparison.Ordinal);
        Assert.Contains("failed test: REQ-B: 1 test(s) naming it failed", stdout, StringComparison.Ordinal); // the class trait
        Assert.Contains("failed test: REQ-C: 1 test(s) naming it failed", stdout, StringComparison.Ordinal);
        Assert.Contains("trace: 5 passed, 2 failed, 0 skipped", stdout, StringComparison.Ordinal);
        Assert.Contains("- `ctest:clang-unit: boot.sweep`", _run.Markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_test_naming_an_unknown_id_or_a_threat_as_a_requirement_is_a_finding()
    {
        AllVerified();
        _run.Trx("Csa.More.Tests",
            (Fixture, "Names_an_unknown_id", "Names_an_unknown_id", "Passed"),
            (Fixture, "Names_a_threat_as_a_requirement", "Names_a_threat_as_a_requirement", "Passed"));
        _run.CTest("gcc-more", ("boot.extra", "run", ["REQ-NOPE", "fuzz"]));
        (int code, string stdout, _) = _run.Run();

        Assert.Equal(1, code);
        Assert.Contains("unknown id: REQ-UNKNOWN is not in the catalogue (docs/requirements.md)", stdout, StringComparison.Ordinal);
        Assert.Contains("unknown id: THREAT.X.ONE is a threat in the catalogue, but tests name it as a Requirement", stdout, StringComparison.Ordinal);
        Assert.Contains("unknown id: REQ-NOPE is not in the catalogue", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("fuzz is not in the catalogue", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Traits_come_from_the_method_its_class_its_base_class_and_nested_classes()
    {
        _run.Trx("Csa.Synthetic.Tests",
            ("Csa.Trace.Tests.DerivedFixture", "Derived_method", "Derived_method", "Passed"),
            ("Csa.Trace.Tests.DerivedFixture", "Verifies_y", "Verifies_y", "Passed"),
            (Fixture + "+Nested", "In_a_nested_class", "In_a_nested_class", "Passed"));
        _run.Run("--report-only");
        string md = _run.Markdown;

        Assert.Contains("| Csa.Trace.Tests | `Csa.Trace.Tests.DerivedFixture.Derived_method` | passed |", Section(md, "REQ-B"), StringComparison.Ordinal);
        Assert.Contains("`Csa.Trace.Tests.DerivedFixture.Derived_method`", Section(md, "THREAT.X.ONE"), StringComparison.Ordinal);
        Assert.Contains("`Csa.Trace.Tests.DerivedFixture.Verifies_y`", Section(md, "TUF.Y"), StringComparison.Ordinal);
        Assert.Contains($"`{Fixture}+Nested.In_a_nested_class`", Section(md, "TUF.Y"), StringComparison.Ordinal);
        Assert.DoesNotContain("Nested", Section(md, "REQ-B"), StringComparison.Ordinal); // a nested class does not inherit the outer class's traits
    }

    [Fact]
    public void Test_names_are_escaped_in_the_html_report()
    {
        AllVerified();
        _run.Trx("Csa.More.Tests", (Fixture, "Verifies_a_and_x", "Verifies_a_and_x(x: \"<script>alert(1)</script>\")", "Passed"));
        _run.Run();
        Assert.DoesNotContain("<script>", _run.Html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no results")]
    [InlineData("bad trx")]
    [InlineData("missing catalogue")]
    [InlineData("duplicate id")]
    [InlineData("unknown argument")]
    public void Unreadable_input_is_exit_code_2_with_a_message(string problem)
    {
        string[] extra = [];
        switch (problem)
        {
            case "bad trx":
                File.WriteAllText(Path.Combine(_run.Results, "broken.trx"), "<TestRun><Results>");
                break;
            case "missing catalogue":
                AllVerified();
                File.Delete(_run.CataloguePath);
                break;
            case "duplicate id":
                AllVerified();
                File.AppendAllText(_run.CataloguePath, "\n| id | requirement |\n|---|---|\n| REQ-A | again |\n");
                break;
            case "unknown argument":
                extra = ["--frobnicate"];
                break;
        }
        (int code, _, string stderr) = _run.Run(extra);
        Assert.Equal(2, code);
        Assert.StartsWith("csa-trace: ", stderr, StringComparison.Ordinal);
    }

    private static string Section(string markdown, string id)
    {
        int start = markdown.IndexOf($"\n### {id}\n", StringComparison.Ordinal);
        int end = markdown.IndexOf("\n### ", start + 5, StringComparison.Ordinal);
        return markdown[start..(end < 0 ? markdown.Length : end)];
    }
}

/// <summary>The project's own catalogue, and CTest's real output read by the matrix.</summary>
public sealed class CatalogueAndCTestTests
{
    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("no Csa.sln above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Docs_requirements_md_lists_the_design_briefs_requirements_and_threats_each_with_where_docs_say_how_it_is_met()
    {
        TraceCatalogue catalogue = TraceCatalogue.Load(Path.Combine(RepositoryRoot(), "docs", "requirements.md"));
        string[] requirements = ["REQ-INST", "REQ-UPD-APP", "REQ-UPD-BL", "REQ-RECOVER", "REQ-TOPO", "REQ-RPC", "REQ-DOWNGRADE", "REQ-DEVICE-BOUND",
            "REQ-BOOT-VERIFY", "REQ-AUTH-FW", "REQ-AUTH-DEV", "REQ-TAMPER", "REQ-CONFIDENTIAL", "REQ-PROD-KEYS", "REQ-KEY-EXPOSURE"];
        string[] threats = ["THREAT.IMG.EXPIRED", "THREAT.IMG.INCOMPATIBLE", "THREAT.IMG.LOCATION", "THREAT.IMG.NON_AUTH", "THREAT.IMG.REPLACE",
            "THREAT.IMG.DISCLOSURE", "THREAT.IMG.EXTRA", "THREAT.KEY.EXPOSURE", "THREAT.MFST.MODIFICATION", "THREAT.UPD.WRONG_PRECURSOR",
            "THREAT.UPD.UNAPPROVED", "TUF.ROLLBACK", "TUF.FREEZE", "TUF.MIX_AND_MATCH", "TUF.ENDLESS_DATA", "TUF.ARBITRARY_SOFTWARE"];
        Assert.Equal(requirements.Order(StringComparer.Ordinal), catalogue.Requirements.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.Equal(threats.Order(StringComparer.Ordinal), catalogue.Threats.Select(e => e.Id).Order(StringComparer.Ordinal));
        foreach (CatalogueEntry entry in catalogue.Entries)
        {
            Assert.Matches(@"\]\([a-z-]+\.md(#[a-z0-9-]+)?\)", entry.MetBy);
            foreach (System.Text.RegularExpressions.Match link in System.Text.RegularExpressions.Regex.Matches(entry.MetBy, @"\]\(([a-z-]+\.md)"))
                Assert.True(File.Exists(Path.Combine(RepositoryRoot(), "docs", link.Groups[1].Value)), $"{entry.Id} links to docs/{link.Groups[1].Value}, which does not exist");
        }
    }

    [Fact]
    public void A_real_ctest_run_with_ids_as_labels_is_read_with_its_outcomes()
    {
        // What tests/Csa.Firmware.Tests must leave in TestResults/ctest/: NAME.junit.xml (ctest --output-junit) and
        // NAME.tests.json (ctest --show-only=json-v1), made here by CMake's own ctest on a tiny project.
        string root = Path.Combine(Path.GetTempPath(), $"csa-trace-ctest-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(root);
            File.WriteAllText(Path.Combine(root, "CMakeLists.txt"), """
                cmake_minimum_required(VERSION 3.21)
                project(trace_probe NONE)
                enable_testing()
                add_test(NAME probe.pass COMMAND ${CMAKE_COMMAND} -E true)
                add_test(NAME probe.fail COMMAND ${CMAKE_COMMAND} -E false)
                set_property(TEST probe.pass APPEND PROPERTY LABELS unit REQ-AUTH-FW THREAT.IMG.NON_AUTH)
                set_property(TEST probe.fail APPEND PROPERTY LABELS unit REQ-TAMPER)
                """);
            string build = Path.Combine(root, "build");
            string results = Path.Combine(root, "TestResults", "ctest");
            Directory.CreateDirectory(results);
            Run("cmake", "-S", root, "-B", build);
            Run("ctest", "--test-dir", build, "--output-junit", Path.Combine(results, "probe.junit.xml"));
            File.WriteAllText(Path.Combine(results, "probe.tests.json"), Run("ctest", "--test-dir", build, "--show-only=json-v1"));

            var stdout = new StringWriter();
            int code = TraceCommand.Run(["--results", Path.Combine(root, "TestResults"), "--catalogue", Path.Combine(RepositoryRoot(), "docs", "requirements.md"),
                "--out", Path.Combine(root, "out"), "--commit", "c0ffee"], stdout, new StringWriter());

            Assert.Equal(1, code);
            string md = File.ReadAllText(Path.Combine(root, "out", "traceability.md"));
            Assert.Contains("| ctest:probe | `probe.pass` | passed |", md, StringComparison.Ordinal);
            Assert.Contains("failed test: REQ-TAMPER: 1 test(s) naming it failed", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("| [REQ-AUTH-FW](#req-auth-fw) | only firmware signed by an authorised key is installed | verified |", md, StringComparison.Ordinal);
            Assert.Contains("trace: 1 passed, 1 failed, 0 skipped", stdout.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        // ctest exits 8 when a test fails; that is the point of the probe.
        if (process.ExitCode != 0 && !(program == "ctest" && process.ExitCode == 8))
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {error}");
        return output;
    }
}

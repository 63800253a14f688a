using Microsoft.CodeAnalysis;

namespace Csa.Rpc.Generator.Tests;

/// <summary>The generated C# is reviewed text: every change to it shows up as a golden-file diff.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class GoldenOutputTests
{
    [Theory]
    [InlineData("sample-pump")]
    [InlineData("all-types")]
    public void Generated_code_matches_golden_file_and_compiles_without_warnings(string name)
    {
        string path = name == "sample-pump" ? TestPaths.SamplePumpFile : TestPaths.AllTypesFile;
        (GeneratorDriverRunResult run, Compilation output) = GeneratorHarness.RunFile(path, rootNamespace: "Golden.Root");

        Assert.Empty(run.Diagnostics);
        GeneratedSourceResult source = Assert.Single(run.Results[0].GeneratedSources);
        Golden.AssertMatches(name + ".g.cs", source.SourceText.ToString());
        AssertNoProblems(GeneratorHarness.CompileProblems(output));
    }

    [Fact]
    public void Device_interface_matches_golden_file()
    {
        (GeneratorDriverRunResult run, Compilation output) = GeneratorHarness.RunFile(TestPaths.DeviceInterfaceFile);

        Assert.Empty(run.Diagnostics);
        GeneratedSourceResult source = Assert.Single(run.Results[0].GeneratedSources);
        Assert.Equal("Device.rpc.g.cs", source.HintName);
        Golden.AssertMatches("device.g.cs", source.SourceText.ToString());
        // Csa.Rpc (referenced) already contains these types, so only conflicts-as-warnings are expected here.
        AssertNoProblems(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void Namespace_comes_from_the_file_then_the_root_namespace_then_the_fallback()
    {
        const string json = """{ "name": "Tiny", "id": 7, "version": 1, "commands": [] }""";
        const string withNs = """{ "name": "Tiny", "id": 7, "version": 1, "namespace": "From.File" }""";

        Assert.Contains("namespace From.File", Generate(withNs, "Root.Ns"));
        Assert.Contains("namespace Root.Ns", Generate(json, "Root.Ns"));
        Assert.Contains("namespace " + RpcInterfaceGenerator.FallbackNamespace, Generate(json, null));

        static string Generate(string text, string? root) =>
            GeneratorHarness.Run(new[] { new InMemoryAdditionalText("/x/tiny.rpc.json", text) }, root).Run.Results[0].GeneratedSources.Single().SourceText.ToString();
    }

    [Fact]
    public void Files_not_named_rpc_json_are_ignored()
    {
        (GeneratorDriverRunResult run, _) = GeneratorHarness.Run(new[] { new InMemoryAdditionalText("/x/settings.json", "not even json") });

        Assert.Empty(run.Diagnostics);
        Assert.Empty(run.Results[0].GeneratedSources);
    }

    [Fact]
    public void Two_files_defining_the_same_interface_report_CSARPC013_and_same_id_warns_CSARPC014()
    {
        const string a = """{ "name": "Same", "id": 9, "version": 1 }""";
        const string b = """{ "name": "Other", "id": 9, "version": 1 }""";
        (GeneratorDriverRunResult run, _) = GeneratorHarness.Run(new[]
        {
            new InMemoryAdditionalText("/x/a.rpc.json", a),
            new InMemoryAdditionalText("/y/a.rpc.json", a),
            new InMemoryAdditionalText("/z/b.rpc.json", b),
        });

        Assert.Contains(run.Diagnostics, d => d.Id == "CSARPC013" && d.Severity == DiagnosticSeverity.Error);
        Assert.Contains(run.Diagnostics, d => d.Id == "CSARPC014" && d.Severity == DiagnosticSeverity.Warning);
        Assert.Equal(new[] { "Other.rpc.g.cs", "Same.rpc.g.cs" }, run.Results[0].GeneratedSources.Select(s => s.HintName).Order());
    }

    [Fact]
    public void Names_that_shadow_each_other_still_compile()
    {
        // An event named like a struct and like a request type, fields named like types, a struct named Status
        // used by a command whose client overload sits next to an event member named Status.
        const string json = """
            {
              "name": "Tricky", "id": 5, "version": 1, "namespace": "System.Tricky",
              "enums": [ { "name": "Mode", "underlying": "u8", "values": [ { "name": "On", "value": 1 } ] } ],
              "structs": [ { "name": "Status", "fields": [ { "name": "mode", "type": "Mode" }, { "name": "level", "type": "u8" } ] } ],
              "commands": [
                { "name": "Set", "id": 1, "idempotent": true, "request": [ { "name": "status", "type": "Status" }, { "name": "mode", "type": "Mode" } ],
                  "response": [ { "name": "setRequest", "type": "Status" } ] }
              ],
              "events": [ { "name": "Status", "id": 1, "fields": [ { "name": "mode", "type": "Mode" } ] },
                          { "name": "SetRequest", "id": 2 }, { "name": "Mode", "id": 3 }, { "name": "TrickyInterface", "id": 4 } ]
            }
            """;
        (GeneratorDriverRunResult run, Compilation output) = GeneratorHarness.RunText(json, "/x/tricky.rpc.json");

        Assert.Empty(run.Diagnostics);
        AssertNoProblems(GeneratorHarness.CompileProblems(output));
    }

    private static void AssertNoProblems(IEnumerable<Diagnostic> diagnostics)
    {
        var lines = diagnostics.Select(d => d + "\n    " + d.Location.SourceTree?.GetText().Lines[d.Location.GetLineSpan().StartLinePosition.Line]).ToList();
        Assert.True(lines.Count == 0, "The generated code does not compile cleanly:\n" + string.Join("\n", lines));
    }
}

using Csa.Rpc.Tooling;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Csa.Rpc.Generator.Tests;

/// <summary>A bad interface file is a compiler error at the right line, never a crashed build.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class DiagnosticTests
{
    private const string Path = "/project/Interfaces/bad.rpc.json";
    private const string Noise = "{}[]\",:0123456789abcxyz \n-.\\";

    public static TheoryData<string, int, string, string> Cases => new()
    {
        // id, expected 1-based line, text the message must contain, file
        { "CSARPC001", 3, "property name", "{\n  \"name\": \"X\",\n  \"id\": 1,,\n  \"version\": 1\n}" },
        { "CSARPC001", 4, "trailing comma", "{\n  \"name\": \"X\",\n  \"id\": 1,\n  \"version\": 1,\n}" },
        { "CSARPC001", 2, "line it starts on", "{\n  \"name\": \"X\n\",\n  \"id\": 1, \"version\": 1 }" },
        { "CSARPC001", 3, "twice", "{\n  \"name\": \"X\", \"id\": 1, \"version\": 1,\n  \"id\": 2\n}" },
        { "CSARPC001", 1, "end of the file", "{ \"name\": \"X\"" },
        { "CSARPC002", 1, "'version'", "{\n  \"name\": \"X\",\n  \"id\": 1\n}" },
        { "CSARPC002", 3, "'idempotent'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1,\n  \"commands\": [\n    { \"name\": \"Go\", \"id\": 1 }\n  ]\n}" },
        { "CSARPC003", 3, "'version' must be a number", "{\n  \"name\": \"X\", \"id\": 1,\n  \"version\": \"one\"\n}" },
        { "CSARPC003", 2, "must be an array", "{ \"name\": \"X\", \"id\": 1, \"version\": 1,\n  \"commands\": {}\n}" },
        { "CSARPC004", 3, "'descripton'", "{\n  \"name\": \"X\", \"id\": 1, \"version\": 1,\n  \"descripton\": \"typo\"\n}" },
        { "CSARPC005", 4, "both have the id 1", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"commands\": [\n  { \"name\": \"A\", \"id\": 1, \"idempotent\": true },\n  { \"name\": \"B\",\n    \"id\": 1, \"idempotent\": true }\n] }" },
        { "CSARPC005", 3, "both have the value 1", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"errors\": [\n  { \"name\": \"A\", \"value\": 1 },\n  { \"name\": \"B\", \"value\": 1 }\n] }" },
        { "CSARPC006", 3, "two command 'A's", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"commands\": [\n  { \"name\": \"A\", \"id\": 1, \"idempotent\": true },\n  { \"name\": \"A\", \"id\": 2, \"idempotent\": true }\n] }" },
        { "CSARPC006", 4, "'rate'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"rate\", \"type\": \"u8\" },\n    { \"name\": \"rate\", \"type\": \"u16\" } ] }\n] }" },
        { "CSARPC006", 2, "'XClient'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"structs\": [\n  { \"name\": \"XClient\", \"fields\": [] }\n] }" },
        { "CSARPC007", 3, "'u24'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"v\", \"type\": \"u24\" } ] }\n] }" },
        { "CSARPC008", 3, "maxLength", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"s\", \"type\": \"string\" } ] }\n] }" },
        { "CSARPC008", 3, "exactly one", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"b\", \"type\": \"bytes[4]\", \"maxLength\": 8 } ] }\n] }" },
        { "CSARPC008", 2, "at most 65535 bytes", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"a\", \"type\": \"bytes\", \"maxLength\": 40000 },\n    { \"name\": \"b\", \"type\": \"bytes\", \"maxLength\": 40000 } ] }\n] }" },
        { "CSARPC008", 3, "count from 1", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"a\", \"type\": \"u16[0]\" } ] }\n] }" },
        { "CSARPC009", 2, "from 0 to 65535", "{ \"name\": \"X\",\n  \"id\": 70000, \"version\": 1 }" },
        { "CSARPC009", 2, "from 1 to 65279", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"errors\": [\n  { \"name\": \"A\", \"value\": \"0xFF00\" }\n] }" },
        { "CSARPC009", 3, "from 0 to 255", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"enums\": [\n  { \"name\": \"E\", \"underlying\": \"u8\", \"values\": [\n    { \"name\": \"Big\", \"value\": 256 } ] }\n] }" },
        { "CSARPC010", 1, "PascalCase", "{ \"name\": \"get_identity\", \"id\": 1, \"version\": 1 }" },
        { "CSARPC010", 3, "taken by a member", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"write\", \"type\": \"u8\" } ] }\n] }" },
        { "CSARPC010", 3, "taken by a member", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [\n    { \"name\": \"maxEncodedSize\", \"type\": \"u8\" } ] }\n] }" },
        { "CSARPC010", 2, "C# namespace", "{ \"name\": \"X\", \"id\": 1, \"version\": 1,\n  \"namespace\": \"My.class.Ns\" }" },
        { "CSARPC010", 3, "enum's own name", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"enums\": [\n  { \"name\": \"Mode\", \"underlying\": \"u8\", \"values\": [\n    { \"name\": \"Mode\", \"value\": 1 } ] }\n] }" },
        { "CSARPC010", 2, "generated error enum", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"errors\": [\n  { \"name\": \"XError\", \"value\": 1 }\n] }" },
        { "CSARPC010", 2, "'Commands'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"commands\": [\n  { \"name\": \"Commands\", \"id\": 1, \"idempotent\": true }\n] }" },
        { "CSARPC006", 2, "clashes with", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"Device\", \"id\": 1 }\n] }" },
        { "CSARPC006", 3, "'data_len'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"events\": [\n  { \"name\": \"E\", \"id\": 1, \"fields\": [ { \"name\": \"data\", \"type\": \"bytes\", \"maxLength\": 4 },\n    { \"name\": \"dataLen\", \"type\": \"u16\" } ] }\n] }" },
        { "CSARPC006", 3, "'http_server'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"structs\": [\n  { \"name\": \"HttpServer\", \"fields\": [] },\n  { \"name\": \"HTTPServer\", \"fields\": [] }\n] }" },
        { "CSARPC011", 3, "'Nope'", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"commands\": [\n  { \"name\": \"A\", \"id\": 1, \"idempotent\": true,\n    \"errors\": [ \"Nope\" ] }\n] }" },
        { "CSARPC012", 2, "A -> B -> A", "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"structs\": [\n  { \"name\": \"A\", \"fields\": [ { \"name\": \"b\", \"type\": \"B\" } ] },\n  { \"name\": \"B\", \"fields\": [ { \"name\": \"a\", \"type\": \"A\" } ] }\n] }" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bad_file_reports_diagnostic_with_file_and_line(string id, int line, string messagePart, string json)
    {
        (GeneratorDriverRunResult run, Compilation output) = GeneratorHarness.RunText(json, Path);

        Diagnostic diagnostic = Assert.Single(run.Diagnostics, d => d.Id == id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        Assert.Equal(Path, span.Path);
        Assert.Equal(line, span.StartLinePosition.Line + 1);
        Assert.Contains(messagePart, diagnostic.GetMessage(), StringComparison.Ordinal);
        // Only the stand-ins that keep uses of the interface from failing with CS0246, and they compile.
        Assert.All(run.Results[0].GeneratedSources, s => Assert.EndsWith(".stub.rpc.g.cs", s.HintName, StringComparison.Ordinal));
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        // The library check used by tools reports the same problem at the same place.
        Assert.Contains(RpcInterfaceValidator.Validate(json), d => d.Id == id && d.Line == line);
    }

    [Fact]
    public void Several_problems_are_reported_together()
    {
        const string json = "{ \"name\": \"X\", \"id\": 1, \"version\": 1, \"bogus\": 1, \"commands\": [\n  { \"name\": \"A\", \"id\": 1, \"idempotent\": true, \"request\": [ { \"name\": \"v\", \"type\": \"float\" } ] },\n  { \"name\": \"B\", \"id\": 1, \"idempotent\": true }\n] }";
        (GeneratorDriverRunResult run, _) = GeneratorHarness.RunText(json, Path);

        Assert.Equal(new[] { "CSARPC004", "CSARPC005", "CSARPC007" }, run.Diagnostics.Select(d => d.Id).Order());
    }

    [Fact]
    public void Unreadable_file_is_internal_error_CSARPC999_not_a_crash()
    {
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new AdditionalText[] { new ThrowingText() });
        GeneratorDriverRunResult run = driver.RunGenerators(GeneratorHarness.CreateCompilation("class A { }")).GetRunResult();

        Diagnostic diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("CSARPC999", diagnostic.Id);
        Assert.Contains("disk on fire", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Null(run.Results[0].Exception);
    }

    [Fact]
    public void Mutated_valid_files_never_crash_the_generator()
    {
        // Cheap fuzzing: every mutation must give output or CSARPC0xx errors, never CSARPC999 or an exception.
        string text = File.ReadAllText(TestPaths.SamplePumpFile);
        var random = new Random(12345);
        int valid = 0;
        for (int i = 0; i < 300; i++)
        {
            char[] chars = text.ToCharArray();
            int edits = 1 + random.Next(3);
            for (int e = 0; e < edits; e++)
                chars[random.Next(chars.Length)] = Noise[random.Next(Noise.Length)];
            string mutated = new(chars);
            IReadOnlyList<RpcInterfaceDiagnostic> problems = RpcInterfaceValidator.Validate(mutated);
            Assert.DoesNotContain(problems, p => p.Id == "CSARPC999");
            if (problems.Count == 0)
            {
                valid++;
                Assert.Contains("#endif", Csa.Rpc.Tooling.CBindingGenerator.Generate(mutated).Header.Text, StringComparison.Ordinal);
                (GeneratorDriverRunResult run, _) = GeneratorHarness.RunText(mutated, Path);
                Assert.Empty(run.Diagnostics);
                Assert.Single(run.Results[0].GeneratedSources);
            }
        }

        Assert.True(valid > 0, "no mutation stayed valid, so the emitters were not exercised");
    }

    [Fact]
    [Trait("Category", "Exhaustive")]
    public void Every_truncation_of_a_valid_file_is_reported_without_internal_errors()
    {
        string text = File.ReadAllText(TestPaths.SamplePumpFile).TrimEnd();
        for (int length = 0; length < text.Length; length++)
        {
            IReadOnlyList<RpcInterfaceDiagnostic> problems = RpcInterfaceValidator.Validate(text[..length]);
            Assert.NotEmpty(problems);
            Assert.DoesNotContain(problems, p => p.Id == "CSARPC999");
        }
    }

    private sealed class ThrowingText : AdditionalText
    {
        public override string Path => "/project/broken.rpc.json";

        public override SourceText GetText(CancellationToken cancellationToken = default) => throw new IOException("disk on fire");
    }
}

using System.Collections.Immutable;
using System.Reflection;
using Csa.Rpc.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Csa.Rpc.Generator.Tests;

/// <summary>Where the test's own files live in the source tree (golden files are rewritten there).</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Project = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.Rpc.Generator.Tests.csproj")))
                return dir.FullName;
        }

        throw new InvalidOperationException("Cannot find the Csa.Rpc.Generator.Tests project directory above " + AppContext.BaseDirectory);
    });

    public static string ProjectDir => Project.Value;

    public static string RepoRoot => Path.GetFullPath(Path.Combine(ProjectDir, "..", ".."));

    public static string DeviceInterfaceFile => Path.Combine(RepoRoot, "src", "Csa.Rpc", "Interfaces", "device.rpc.json");

    public static string SamplePumpFile => Path.Combine(ProjectDir, "Interfaces", "sample-pump.rpc.json");

    public static string AllTypesFile => Path.Combine(ProjectDir, "TestData", "all-types.rpc.json");

    public static string SchemaFile => Path.Combine(RepoRoot, "src", "Csa.Rpc", "Schema", "csa-rpc-interface.schema.json");

    public static string DocFile => Path.Combine(RepoRoot, "docs", "rpc-interfaces.md");
}

/// <summary>Compares generated text with a checked-in golden file; CSA_UPDATE_GOLDEN=1 rewrites the file instead.</summary>
internal static class Golden
{
    public static bool Updating => Environment.GetEnvironmentVariable("CSA_UPDATE_GOLDEN") == "1";

    public static void AssertMatches(string fileName, string actual)
    {
        string path = Path.Combine(TestPaths.ProjectDir, "Golden", fileName);
        actual = actual.ReplaceLineEndings("\n");
        if (Updating)
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; run the tests with CSA_UPDATE_GOLDEN=1 to create it.");
        string expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected == actual)
            return;

        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        int line = 0;
        while (line < e.Length && line < a.Length && e[line] == a[line])
            line++;
        Assert.Fail($"{fileName} differs from the golden file at line {line + 1}:\n expected: {(line < e.Length ? e[line] : "<end of file>")}\n   actual: {(line < a.Length ? a[line] : "<end of file>")}\nRun with CSA_UPDATE_GOLDEN=1 to accept the new output after reviewing it.");
    }
}

/// <summary>An additional file held in memory.</summary>
internal sealed class InMemoryAdditionalText(string path, string text) : AdditionalText
{
    private readonly SourceText _text = SourceText.From(text);

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
}

/// <summary>Global analyzer options carrying the project's root namespace.</summary>
internal sealed class RootNamespaceOptionsProvider(string? rootNamespace) : AnalyzerConfigOptionsProvider
{
    private readonly Options _global = new(rootNamespace is null
        ? ImmutableDictionary<string, string>.Empty
        : ImmutableDictionary<string, string>.Empty.Add("build_property.RootNamespace", rootNamespace));

    public override AnalyzerConfigOptions GlobalOptions => _global;

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

    private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public static readonly Options Empty = new(ImmutableDictionary<string, string>.Empty);

        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }
}

/// <summary>Runs the real generator through a <see cref="CSharpGeneratorDriver"/> on an in-memory compilation.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        string frameworkDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDir, StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(Csa.Rpc.IRpcInvoker).Assembly.Location));
        references.Add(MetadataReference.CreateFromFile(typeof(Csa.DataLink.NodeAddress).Assembly.Location));
        return references.ToImmutableArray();
    });

    public static CSharpCompilation CreateCompilation(params string[] sources) =>
        CSharpCompilation.Create(
            "GeneratorTestAssembly",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, new CSharpParseOptions(LanguageVersion.Latest))),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver CreateDriver(IEnumerable<AdditionalText> files, string? rootNamespace = "Test.Root") =>
        CSharpGeneratorDriver.Create(
            new[] { new RpcInterfaceGenerator().AsSourceGenerator() },
            files,
            new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Diagnose),
            new RootNamespaceOptionsProvider(rootNamespace),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator on files; returns the run result and the compilation with the generated code.</summary>
    public static (GeneratorDriverRunResult Run, Compilation Output) Run(IEnumerable<AdditionalText> files, string? rootNamespace = "Test.Root", params string[] sources)
    {
        GeneratorDriver driver = CreateDriver(files, rootNamespace);
        driver = driver.RunGeneratorsAndUpdateCompilation(CreateCompilation(sources), out Compilation output, out _);
        return (driver.GetRunResult(), output);
    }

    public static (GeneratorDriverRunResult Run, Compilation Output) RunFile(string path, string? rootNamespace = "Test.Root") =>
        Run(new[] { new InMemoryAdditionalText(path, File.ReadAllText(path)) }, rootNamespace);

    public static (GeneratorDriverRunResult Run, Compilation Output) RunText(string json, string path = "/interfaces/test.rpc.json") =>
        Run(new[] { new InMemoryAdditionalText(path, json) });

    /// <summary>The compiler's errors and warnings on the output, without the generator's own diagnostics.</summary>
    public static IEnumerable<Diagnostic> CompileProblems(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning);
}

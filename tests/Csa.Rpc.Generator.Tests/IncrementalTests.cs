using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Csa.Rpc.Generator.Tests;

/// <summary>The generator must not redo work on every keystroke in the IDE.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class IncrementalTests
{
    [Fact]
    public void Unrelated_code_edit_reuses_cached_interface_outputs()
    {
        var files = new[]
        {
            new InMemoryAdditionalText(TestPaths.SamplePumpFile, File.ReadAllText(TestPaths.SamplePumpFile)),
            new InMemoryAdditionalText(TestPaths.DeviceInterfaceFile, File.ReadAllText(TestPaths.DeviceInterfaceFile)),
        };
        CSharpCompilation compilation = GeneratorHarness.CreateCompilation("class A { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver(files).RunGenerators(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText("class A { int B() => 42; }", (CSharpParseOptions)old.Options));
        GeneratorRunResult second = driver.RunGenerators(edited).GetRunResult().Results.Single();

        var steps = second.TrackedSteps[RpcInterfaceGenerator.BuildStepName];
        Assert.Equal(2, steps.Length);
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"output step ran: {o.Reason}"));
        Assert.Equal(2, second.GeneratedSources.Length);
    }

    [Fact]
    public void Editing_one_interface_file_reprocesses_only_that_file()
    {
        string pump = File.ReadAllText(TestPaths.SamplePumpFile);
        var device = new InMemoryAdditionalText(TestPaths.DeviceInterfaceFile, File.ReadAllText(TestPaths.DeviceInterfaceFile));
        var pumpFile = new InMemoryAdditionalText(TestPaths.SamplePumpFile, pump);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(new AdditionalText[] { pumpFile, device }).RunGenerators(GeneratorHarness.CreateCompilation("class A { }"));

        var editedPump = new InMemoryAdditionalText(TestPaths.SamplePumpFile, pump.Replace("Reads the pump state.", "Reads the pump state now.", StringComparison.Ordinal));
        driver = driver.ReplaceAdditionalText(pumpFile, editedPump);
        GeneratorRunResult second = driver.RunGenerators(GeneratorHarness.CreateCompilation("class A { }")).GetRunResult().Results.Single();

        var outputs = second.TrackedSteps[RpcInterfaceGenerator.BuildStepName].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, outputs);
        Assert.Contains(IncrementalStepRunReason.Cached, outputs);
        Assert.Contains("Reads the pump state now.", second.GeneratedSources.Single(s => s.HintName == "InfusionPump.rpc.g.cs").SourceText.ToString());
    }
}

using System.Globalization;
using Csa.Fuzz;
using Csa.Fuzz.Engine;
using Xunit.Abstractions;

namespace Csa.Fuzz.Tests;

/// <summary>
/// The CI slice of the fuzz targets (docs/security.md 11): each target runs a fixed number of seeded mutations of its
/// seed corpus in process and must keep its contract for every input: only the parser's documented exception types,
/// allocations within the target's budget (bounded memory: never driven by a length field in the input). Time is not
/// asserted here (no wall-clock limits in unit tests); the long run measures it (AFL++ timeouts, in-process hang
/// threshold). The count per target keeps each to a few seconds on the shared CI machine.
/// </summary>
[Trait("Requirement", "REQ-TAMPER")]
[Trait("Threat", "TUF.ENDLESS_DATA")]
public sealed class FuzzSliceTests(ITestOutputHelper output)
{
    /// <summary>Inputs per target in CI: fast targets 50 000, file-backed and elliptic-curve targets fewer.</summary>
    public static TheoryData<string, long> Targets()
    {
        var data = new TheoryData<string, long>();
        foreach (FuzzTarget t in FuzzTargets.Create())
        {
            long inputs = t.Name switch
            {
                "flash-state" => 3_000,
                _ when t.Speed == TargetSpeed.Slow => 10_000,
                _ => 50_000,
            };
            data.Add(t.Name, inputs);
            (t as IDisposable)?.Dispose();
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_input_keeps_the_parser_contract(string target, long inputs)
    {
        FuzzTarget t = FuzzTargets.Find(target);
        try
        {
            FuzzReport report = FuzzRunner.Run(t, new FuzzRunOptions { Inputs = inputs, Seed = 20261207 });
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.Target}: {report.Inputs} inputs, corpus {report.CorpusSize}, outcomes {report.Outcomes}, slowest {report.Slowest.TotalMilliseconds:0.0} ms"));
            Assert.Equal(inputs, report.Inputs);
            Assert.True(report.Failures.Count == 0, Describe(report));
            Assert.True(report.Outcomes >= 2, $"{target}: every input ended the same way ({report.Outcomes} outcome): the mutations do not reach the parser's checks");
        }
        finally
        {
            (t as IDisposable)?.Dispose();
        }
    }

    private static string Describe(FuzzReport report) =>
        $"{report.Target}: {report.Failures.Count} inputs broke the contract:\n" + string.Join("\n", report.Failures
            .DistinctBy(f => f.Kind + f.Detail.Split('\n')[0])
            .Select(f => $"{f.Kind}: {f.Detail}\ninput ({f.Input.Length} bytes): {Convert.ToHexString(f.Input.AsSpan(0, Math.Min(256, f.Input.Length)))}"));
}

using Csa.Simulator.Flash;
using Xunit.Abstractions;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>
/// The torn half of the power-cut matrix (a class of its own so it runs beside the cuts before an operation): power
/// fails in the middle of a flash operation, leaving a torn program (part of the units, a random subset of the bits of
/// one; on the L4 an ECC error) or an interrupted erase (partially erased bits, random content, or an erased prefix).
/// </summary>
public sealed class TornWriteMatrixTests(ITestOutputHelper output)
{
    public static TheoryData<CutScenario> Scenarios() => PowerCutMatrixTests.Scenarios();

    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_torn_program_or_interrupted_erase_at_a_sample_of_points_never_bricks_and_the_host_resumes(CutScenario scenario)
    {
        long operations = await new PowerCutRig(scenario).CountOperationsAsync();
        TornEraseStyle[] styles = Enum.GetValues<TornEraseStyle>();
        var cuts = new List<(PowerCutPlan, PowerCutPlan?)>();
        // The last three (commit marker, Complete record, counter floor) and every 19th from the 4th, the tear style
        // rotating, the fraction drawn from the seed; the exhaustive test tears every operation.
        foreach (int i in Enumerable.Range(0, (int)operations).Where(i => i >= operations - 3 || (i >= 3 && i % 19 == 3)))
            cuts.Add((PowerCutPlan.DuringOperationAt(i, seed: 1000 + i, styles[i % styles.Length]), null));
        await PowerCutMatrixTests.SweepAsync(output, scenario, operations, cuts);
    }
}

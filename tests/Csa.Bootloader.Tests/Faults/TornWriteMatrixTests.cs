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

    /// <summary>A tear in every operation, the tear style rotating and its fraction drawn from the seed (every style in every operation: the exhaustive run).</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_torn_program_or_interrupted_erase_in_every_flash_operation_never_bricks_and_the_host_resumes(CutScenario scenario)
    {
        long operations = await new PowerCutRig(scenario).CountOperationsAsync();
        TornEraseStyle[] styles = Enum.GetValues<TornEraseStyle>();
        var cuts = new List<(PowerCutPlan, PowerCutPlan?)>();
        for (int i = 0; i < operations; i++)
            cuts.Add((PowerCutPlan.DuringOperationAt(i, seed: 1000 + i, styles[i % styles.Length]), null));
        await PowerCutMatrixTests.SweepAsync(output, scenario, operations, cuts);
    }
}

using Csa.Bootloader.Protocol;
using Csa.Simulator.Flash;
using Xunit.Abstractions;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>
/// The power-cut matrix, end to end: a host updates a virtual device over its link, the device's power is cut
/// before (or in the middle of) one flash operation, the device powers on, the host runs its update again and
/// resumes. As MCUboot's simulator does, an uninterrupted update is run first to count its flash operations; then
/// the cut moves over them. Unlike it, torn programs and interrupted erases (littlefs-style) are cut too.
/// After every cut: the device boots a valid bootloader (never bricked) and no flash rule was broken; at the end
/// the new firmware is installed byte for byte, both bootloader copies are valid, and the counter moved.
/// </summary>
public sealed class PowerCutMatrixTests(ITestOutputHelper output)
{
    public static TheoryData<CutScenario> Scenarios() => new()
    {
        new(FlashFamily.Stm32F4, UpdateTarget.Application, 140_000),
        new(FlashFamily.Stm32F4, UpdateTarget.OtherBootloader, 30_000),
        new(FlashFamily.Stm32L4, UpdateTarget.Application, 37_000),
        new(FlashFamily.Stm32L4, UpdateTarget.OtherBootloader, 40_000),
    };

    /// <summary>
    /// Runs every cut point even after one fails, so a failure names every cut point that fails (a resume gap usually
    /// shows at several), then fails with the list.
    /// </summary>
    internal static async Task<int> SweepAsync(ITestOutputHelper output, CutScenario scenario, long operations, IEnumerable<(PowerCutPlan Cut, PowerCutPlan? Second)> cuts)
    {
        var rig = new PowerCutRig(scenario);
        var failures = new List<string>();
        int covered = 0, resumes = 0;
        foreach ((PowerCutPlan cut, PowerCutPlan? second) in cuts)
        {
            covered++;
            try
            {
                resumes += (await rig.CutAndResumeAsync(cut, second)).ResumeCount;
            }
            catch (Exception e)
            {
                failures.Add($"{cut}{(second is null ? "" : $" then {second}")}: {e.GetType().Name}: {e.Message}{(e.InnerException is { } inner ? " <- " + inner.Message : "")} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
            }
        }
        output.WriteLine($"{scenario}: {operations} flash operations in an uninterrupted update; {covered} cut points, {covered - failures.Count} recovered ({resumes} updater resumes), {failures.Count} failed");
        foreach (string failure in failures)
            output.WriteLine("  FAILED " + failure);
        Assert.True(failures.Count == 0, $"{failures.Count} of {covered} cut points did not recover:\n{string.Join("\n", failures)}");
        return covered;
    }

    /// <summary>
    /// Every operation, cut before it. Each cut point costs a full update with a power-on and a resume, tens of
    /// milliseconds: the host learns of the cut from its port closing (the rig's device powers its own USB serial bridge),
    /// not from protocol timeouts, so the CI run covers every cut point instead of a sample.
    /// </summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task A_cut_before_every_flash_operation_never_bricks_and_the_host_resumes(CutScenario scenario)
    {
        long operations = await new PowerCutRig(scenario).CountOperationsAsync();
        output.WriteLine($"cut before each of {operations} operations");
        await SweepAsync(output, scenario, operations, Enumerable.Range(0, (int)operations).Select(i => (PowerCutPlan.BeforeOperation(i), (PowerCutPlan?)null)));
    }

    /// <summary>A torn first cut at every 9th operation, and a second tear during the resumed update: the resume survives a cut too.</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task A_second_cut_during_the_resumed_update_still_ends_with_the_new_firmware(CutScenario scenario) => SecondCutsAsync(scenario, every: 9);

    /// <summary>The same after a tear in every operation.</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task Exhaustive_a_second_cut_during_the_resume_after_a_tear_in_every_operation(CutScenario scenario) => SecondCutsAsync(scenario, every: 1);

    /// <summary>Every tear style (partially erased bits, random content, an erased prefix) in every operation; the CI run rotates them.</summary>
    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Exhaustive_every_tear_style_in_every_flash_operation(CutScenario scenario)
    {
        long operations = await new PowerCutRig(scenario).CountOperationsAsync();
        var cuts = new List<(PowerCutPlan, PowerCutPlan?)>();
        foreach (TornEraseStyle style in Enum.GetValues<TornEraseStyle>())
        {
            for (int i = 0; i < operations; i++)
                cuts.Add((PowerCutPlan.DuringOperationAt(i, seed: i * 7 + 3, style), null));
        }
        output.WriteLine($"torn in each of {operations} operations, {Enum.GetValues<TornEraseStyle>().Length} styles");
        await SweepAsync(output, scenario, operations, cuts);
    }

    private async Task SecondCutsAsync(CutScenario scenario, int every)
    {
        long operations = await new PowerCutRig(scenario).CountOperationsAsync();
        var cuts = new List<(PowerCutPlan, PowerCutPlan?)>();
        for (int first = 1; first < operations; first += every)
            cuts.Add((PowerCutPlan.DuringOperationAt(first, seed: first), PowerCutPlan.DuringOperationAt(1, seed: first + 7)));
        await SweepAsync(output, scenario, operations, cuts);
    }
}

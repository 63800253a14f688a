using Csa.Firmware.Tests.Support;
using Xunit.Abstractions;

namespace Csa.Firmware.Tests;

/// <summary>
/// The C firmware's own tests, run by CTest in two builds: gcc, and clang with AddressSanitizer and
/// UndefinedBehaviorSanitizer on every object (plus the libFuzzer targets, run briefly). Every C test's name and result
/// is written to the test output; a failure names each failed C test with its output. Building also compiles the
/// generated C binding of every shipped interface and of the generator's test interfaces with
/// -std=c99 -Wall -Wextra -Werror -pedantic under both compilers.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
[Trait("Requirement", "REQ-TOPO")]
public sealed class CTestTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Unit_tests_pass_when_built_with_gcc()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.Gcc);
        await RunAndReportAsync(build, "unit");
    }

    [Fact]
    public async Task Unit_tests_pass_under_address_and_undefined_behavior_sanitizers_with_clang()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.ClangSanitized);
        await RunAndReportAsync(build, "unit");
    }

    [Fact]
    public async Task Fuzz_targets_find_nothing_in_a_bounded_run()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.ClangSanitized);
        IReadOnlyList<CTestResult> results = await RunAndReportAsync(build, "fuzz");
        // A target per decoder: the frame receiver, RPC packets, a whole node, and each generated binding.
        Assert.Equal(9, results.Count);
        foreach (CTestResult result in results)
            Assert.Contains("stat::number_of_executed_units:", result.Output, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<CTestResult>> RunAndReportAsync(string build, string label)
    {
        IReadOnlyList<CTestResult> results = await CTestRun.RunAsync(build, label);
        foreach (CTestResult result in results)
        {
            string runs = result.Output.Split('\n').FirstOrDefault(l => l.StartsWith("stat::number_of_executed_units", StringComparison.Ordinal)) ?? string.Empty;
            output.WriteLine($"{(result.Passed ? "passed" : "FAILED")} {result.Name} ({result.Seconds:0.00} s) {runs}");
        }

        string? failure = CTestRun.Describe(results);
        Assert.True(failure is null, failure);
        return results;
    }
}

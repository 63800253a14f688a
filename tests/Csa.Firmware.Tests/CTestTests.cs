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

    /// <summary>
    /// The device's cryptography (firmware/crypto): every Wycheproof/NIST vector, openssl and Mbed TLS cross-checks,
    /// the constant-time (valgrind) tests with their negative controls, its own sanitizer builds and the Cortex-M4 size
    /// budget. .ci/run installs what each needs, so none may be missing here.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    public async Task Crypto_tests_pass_with_their_cross_checks_and_constant_time_evidence()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.Gcc);
        IReadOnlyList<CTestResult> results = await RunAndReportAsync(build, "crypto");
        foreach (string expected in new[] { "crypto.wycheproof.ecdsa", "crypto.openssl", "crypto.mbedtls.crosscheck", "crypto.ct.O2.ecdh", "crypto.ct.Os.negative_control_branch", "crypto.asan.ecies", "crypto.size_budget" })
            Assert.Contains(results, r => r.Name == expected);
    }

    /// <summary>
    /// The bootloader core (firmware/boot) and the flash model it runs over (firmware/flashsim), including the CI slice of
    /// the power-cut sweep, device identity (security.md 10 goldens, InstallCertificate's power-cut sweep) and encrypted
    /// updates (security.md 5 golden), and the Cortex-M4 size of a whole bootloader copy per crypto build.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task Bootloader_core_tests_pass_with_gcc()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.Gcc);
        IReadOnlyList<CTestResult> results = await RunAndReportAsync(build, "boot");
        foreach (string expected in new[] { "boot.image", "boot.journal", "boot.sweep", "flash.rules", "flash.file_interop", "boot.size_budget", "boot.identity", "boot.decrypt", "boot.bootloader_size" })
            Assert.Contains(results, r => r.Name == expected);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Bootloader_core_tests_pass_under_address_and_undefined_behavior_sanitizers_with_clang()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.ClangSanitized);
        await RunAndReportAsync(build, "boot");
    }

    /// <summary>The full power-cut sweep of the C bootloader core (thousands of cut points, docs/firmware.md section 12.2).</summary>
    [Fact]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Bootloader_core_survives_the_full_power_cut_sweep()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.Gcc);
        string sweep = Directory.GetFiles(build, "test_boot_sweep", SearchOption.AllDirectories).Single();
        ProcessResult run = await ProcessRunner.RunAsync(sweep, ["--full"], build);
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    /// <summary>
    /// The full device-identity suite of the C bootloader: every bit of the certificate flipped, and InstallCertificate cut
    /// before and inside every operation at three fractions with a second cut at every operation of every retry
    /// (docs/firmware.md section 14.5).
    /// </summary>
    [Fact]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Device_identity_survives_every_power_cut_of_InstallCertificate()
    {
        string build = await FirmwareBuild.GetAsync(FirmwareConfiguration.Gcc);
        string test = Directory.GetFiles(build, "test_boot_identity", SearchOption.AllDirectories).Single();
        ProcessResult run = await ProcessRunner.RunAsync(test, [Path.Combine(FirmwareBuild.RepositoryRoot, "docs", "security.md"), "--full"], build);
        output.WriteLine(run.ToString());
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("60 first cuts, 185 second cuts", run.Output, StringComparison.Ordinal);
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

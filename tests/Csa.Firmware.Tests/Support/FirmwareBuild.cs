using System.Collections.Concurrent;

namespace Csa.Firmware.Tests.Support;

/// <summary>One way of building firmware/: a C compiler (or a CMake toolchain file) and CMake cache options.</summary>
/// <param name="Name">The build folder's name.</param>
/// <param name="Compiler">The C compiler (gcc, clang); null when <paramref name="Toolchain"/> names it.</param>
/// <param name="Options">Further <c>-D</c> options.</param>
/// <param name="Toolchain">A CMake toolchain file relative to the repository root (a cross build), or null.</param>
internal sealed record FirmwareConfiguration(string Name, string? Compiler, IReadOnlyList<string> Options, string? Toolchain = null)
{
    /// <summary>
    /// The chips: arm-none-eabi-gcc with firmware/cmake/arm-none-eabi.cmake, every board's pre-bootloader, bootloader
    /// copies and demo application (firmware/chips). Linking fails when an image outgrows its budget.
    /// </summary>
    public static readonly FirmwareConfiguration Arm = new("arm-none-eabi", null, [], "firmware/cmake/arm-none-eabi.cmake");

    /// <summary>
    /// The chips with the bootloader's data link in SRAM (CSA_CHIP_LINK_IN_SRAM, docs/firmware.md "On the chips"): the
    /// bootloader copies run the link from the flash driver's wait loop. Every image is held to the product's 32 KB of
    /// SRAM, as in the default build; the flash budget is widened to 33 KB for the QEMU board's copy only in effect (its
    /// semihosting flash driver is larger than the chips'): the F4 and L4 copies are held to 32 KB by
    /// <c>ChipLinkInSramTests</c>.
    /// </summary>
    public static readonly FirmwareConfiguration ArmLinkInSram = new("arm-none-eabi-link-in-sram", null,
        ["-DCSA_CHIP_LINK_IN_SRAM=ON", "-DCSA_BOOTLOADER_FLASH_BUDGET=33792"], Arm.Toolchain);

    /// <summary>gcc, no sanitizers: the unit tests and the csa-device program the interop tests run.</summary>
    public static readonly FirmwareConfiguration Gcc = new("gcc", "gcc", []);

    /// <summary>
    /// clang with AddressSanitizer and UndefinedBehaviorSanitizer on everything, and the libFuzzer targets, each run
    /// for a few seconds by CTest (label "fuzz"). The longer documented run is in docs/firmware.md.
    /// </summary>
    public static readonly FirmwareConfiguration ClangSanitized = new("clang-sanitized", "clang", ["-DCSA_FUZZ=ON", "-DCSA_FUZZ_SECONDS=3"]);
}

/// <summary>
/// Builds firmware/ with CMake once per test run and configuration (incrementally: the build folder stays in the test
/// output folder between runs), generating the C bindings with the csa tool this project references.
/// </summary>
internal static class FirmwareBuild
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Builds = new();

    // One CMake build at a time: the machine may have two cores for everything.
    private static readonly SemaphoreSlim OneBuild = new(1, 1);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The build folder of <paramref name="configuration"/>, built; throws with the whole log when it fails.</summary>
    public static Task<string> GetAsync(FirmwareConfiguration configuration) =>
        Builds.GetOrAdd(configuration.Name, _ => new Lazy<Task<string>>(() => BuildAsync(configuration))).Value;

    /// <summary>The csa-device program of the gcc build.</summary>
    public static async Task<string> DeviceProgramAsync() =>
        Path.Combine(await GetAsync(FirmwareConfiguration.Gcc), "apps", "csa-device", "csa-device");

    private static async Task<string> BuildAsync(FirmwareConfiguration configuration)
    {
        ProcessResult result = await ConfigureAndBuildAsync(configuration, target: null);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"firmware/ does not build ({configuration.Name}):\n{result}");
        return BuildFolder(configuration);
    }

    /// <summary>
    /// Configures <paramref name="configuration"/> in its own build folder and builds only <paramref name="target"/>,
    /// returning what the build said whether it failed or not: for builds that must fail (an image over its budget).
    /// </summary>
    public static Task<ProcessResult> BuildTargetAsync(FirmwareConfiguration configuration, string target) =>
        ConfigureAndBuildAsync(configuration, target);

    private static string BuildFolder(FirmwareConfiguration configuration) =>
        Path.Combine(AppContext.BaseDirectory, "firmware-build", configuration.Name);

    private static async Task<ProcessResult> ConfigureAndBuildAsync(FirmwareConfiguration configuration, string? target)
    {
        string buildDir = BuildFolder(configuration);
        string csaDll = Path.Combine(AppContext.BaseDirectory, "csa.dll");
        if (!File.Exists(csaDll))
            throw new InvalidOperationException($"{csaDll} is missing: the test project references src/Csa.Cli for `csa rpc gen-c`.");
        await OneBuild.WaitAsync();
        try
        {
            var configure = new List<string>
            {
                "-S", Path.Combine(RepositoryRoot, "firmware"), "-B", buildDir,
                configuration.Toolchain is null
                    ? $"-DCMAKE_C_COMPILER={configuration.Compiler}"
                    : $"-DCMAKE_TOOLCHAIN_FILE={Path.Combine(RepositoryRoot, configuration.Toolchain)}",
                $"-DCSA_RPC_GEN_C={DotnetHost()};{csaDll}",
            };
            configure.AddRange(configuration.Options);
            ProcessResult result = await ProcessRunner.RunAsync("cmake", configure, RepositoryRoot);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"cmake could not configure firmware/ ({configuration.Name}):\n{result}");
            List<string> build = ["--build", buildDir, "--parallel", "2"];
            if (target is not null)
                build.AddRange(["--target", target]);
            return await ProcessRunner.RunAsync("cmake", build, RepositoryRoot);
        }
        finally
        {
            OneBuild.Release();
        }
    }

    /// <summary>The dotnet host running these tests (the CLI names it in DOTNET_HOST_PATH), else the one on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")) && Directory.Exists(Path.Combine(dir.FullName, "firmware")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"No repository root (Csa.sln and firmware/) above {AppContext.BaseDirectory}.");
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Flash;
using Xunit.Abstractions;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>One sweep scenario: the chip, what is updated and how large.</summary>
public sealed record SweepScenario(FlashFamily Family, UpdateTarget Target, int Size)
{
    public override string ToString() => $"{(Family == FlashFamily.Stm32F4 ? "F4" : "L4")} {(Target == UpdateTarget.Application ? "application" : "bootloader copy")} {Size} B";
}

/// <summary>
/// The power-cut sweep over every flash operation of an update, end to end against the C device: the csa-device process
/// is started from its factory state with a cut planned before (or inside) flash operation N, the host SDK updates it,
/// the power fails at N, the chip starts again from its flash file 50 ms later, the host resumes, and the update must end
/// with the new image running. As MCUboot's simulator does, an uninterrupted update counts the operations first; the
/// unmarked test is a slice of the cut points, the <c>Category=Exhaustive</c> one cuts before and inside every one.
/// Writes are stop-and-wait of the device's largest write, so operation N is the same operation in every run.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class CPowerCutSweepTests(ITestOutputHelper output)
{
    public static TheoryData<SweepScenario> Scenarios() => new()
    {
        new(FlashFamily.Stm32F4, UpdateTarget.Application, 140_000),
        new(FlashFamily.Stm32F4, UpdateTarget.OtherBootloader, 30_000),
        new(FlashFamily.Stm32L4, UpdateTarget.Application, 37_000),
        new(FlashFamily.Stm32L4, UpdateTarget.OtherBootloader, 40_000),
    };

    private static UpdateOptions SweepOptions()
    {
        UpdateOptions options = ConformanceHost.Options(maxResumeAttempts: 8);
        options = options with
        {
            Retry = options.Retry with { Timeout = TimeSpan.FromMilliseconds(400), Attempts = 2 },
            EraseTimeout = TimeSpan.FromMilliseconds(300),
            RestartPollInterval = TimeSpan.FromMilliseconds(10),
            AddressRetentionGrace = TimeSpan.FromMilliseconds(200),
            ResumeDelay = TimeSpan.FromMilliseconds(20),
            MaxWritesInFlight = 1,
            WriteChunkSize = 4096,
        };
        return options;
    }

    private static FirmwareImage NewImage(ConformanceProduct product, SweepScenario scenario) =>
        Image(product, scenario.Target == UpdateTarget.Application ? RegionKind.Application : RegionKind.BootloaderB, V2, scenario.Size, counter: 2, variant: "sweep");

    /// <summary>Runs the update against a fresh C device with <paramref name="cut"/> planned; returns the device's flash operations at the end.</summary>
    private static async Task<long> RunAsync(SweepScenario scenario, CutPoint? cut)
    {
        var product = new ConformanceProduct(scenario.Family, 40);
        FirmwareImage image = NewImage(product, scenario);
        using CancellationTokenSource guard = Guard();
        await using CDeviceUnderTest dut = await CDeviceUnderTest.StartAsync(product, Factory(product), cut, []);
        try
        {
            await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, SweepOptions(), guard.Token);
            UpdateResult result = scenario.Target == UpdateTarget.Application
                ? await host.Updater.UpdateApplicationAsync(host.Device, image, null, guard.Token)
                : await host.Updater.UpdateBootloaderAsync(host.Device, image, false, null, guard.Token);
            Assert.Equal(V2, result.VersionAfter);
            DeviceInfo now = await host.ReadAsync(guard.Token);
            Assert.False(now.IsInBootloader);
            Assert.Equal(scenario.Target == UpdateTarget.Application ? (V2, V1) : (V1, V2), (now.ApplicationVersion, now.BootloaderVersion));
            if (cut is not null)
            {
                Assert.Equal(1, dut.PowerCuts);
                // After the cut the chip started a bootloader (never bricked) and no flash rule was broken: the flash
                // refuses a program over cells that are not erased (--strict-flash), so one would have failed the update.
                Assert.DoesNotContain("nothing to run", dut.Log, StringComparison.Ordinal);
            }
            return await dut.FlashOperationsAsync();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n--- device log ---\n{dut.Log}");
        }
    }

    private async Task SweepAsync(SweepScenario scenario, long operations, IReadOnlyList<CutPoint> cuts)
    {
        var failures = new List<string>();
        foreach (CutPoint cut in cuts)
        {
            try
            {
                await RunAsync(scenario, cut);
            }
            catch (Exception e)
            {
                failures.Add($"{cut}: {e.Message.Split('\n')[0]}");
                // The whole reason and the end of the device's log, kept in the test's output (a CI log shows the output
                // of a failed test): a cut that does not recover must say whether a timeout or the device gave up.
                string[] lines = e.Message.Split('\n');
                output.WriteLine($"--- {cut} did not recover ---\n{string.Join('\n', lines.Length <= 80 ? lines : [.. lines[..20], "...", .. lines[^60..]])}");
            }
        }
        output.WriteLine($"{scenario}: {operations} flash operations uninterrupted; {cuts.Count} cut points, {cuts.Count - failures.Count} recovered");
        foreach (string failure in failures)
            output.WriteLine("  FAILED " + failure);
        Assert.True(failures.Count == 0, $"{failures.Count} of {cuts.Count} cut points did not recover:\n{string.Join("\n", failures)}");
    }

    /// <summary>The CI slice: before the first 2 and the last 4 operations and every 15th, inside every 23rd.</summary>
    internal static IReadOnlyList<CutPoint> Slice(long operations) =>
    [
        .. Enumerable.Range(0, (int)operations).Where(i => i < 2 || i >= operations - 4 || i % 15 == 0).Select(i => new CutPoint(i)),
        .. Enumerable.Range(0, (int)operations).Where(i => i % 23 == 11).Select(i => new CutPoint(i, 0.5)),
    ];

    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task The_C_device_recovers_from_a_cut_at_a_sample_of_its_flash_operations(SweepScenario scenario)
    {
        long operations = await RunAsync(scenario, null);
        IReadOnlyList<CutPoint> cuts = Slice(operations);
        await SweepAsync(scenario, operations, cuts);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task The_C_device_recovers_from_a_cut_before_and_inside_every_flash_operation(SweepScenario scenario)
    {
        long operations = await RunAsync(scenario, null);
        CutPoint[] cuts = [.. Enumerable.Range(0, (int)operations).SelectMany(i => new[] { new CutPoint(i), new CutPoint(i, 0.5) })];
        await SweepAsync(scenario, operations, cuts);
    }
}

using System.Globalization;
using Csa.Firmware.Tests.Support;
using Csa.Simulator.Memory;
using Xunit.Abstractions;

namespace Csa.Firmware.Tests.Chips;

/// <summary>
/// The bootloader copies built with the data link in SRAM (CSA_CHIP_LINK_IN_SRAM, docs/firmware.md "On the chips"): the
/// flash driver's wait loop calls the link's busy step, and everything that step reaches must be in SRAM, because a
/// single-bank STM32F4 stalls every fetch from flash while it erases (up to 4 s for a 128 KB sector).
/// firmware/tools/ramfunc_reach.sh follows the step's branches and code addresses in <c>arm-none-eabi-objdump -d</c>;
/// the build runs it after linking each copy, and these tests run it again and hold the copies to their budgets: the
/// F4 and L4 copies in the product's 32 KB of flash, every copy in its 32 KB of SRAM (the held packets wait in the
/// node's own receive buffers, the Write's data is sized to the chip's packets, the UART ring is 2 KiB).
/// </summary>
[Trait("Requirement", "REQ-UPD-BL")]
[Trait("Requirement", "REQ-TOPO")]
public sealed class ChipLinkInSramTests(ITestOutputHelper output)
{
    private const long SramBudget = ChipBudgetTests.BootloaderSramBudget;

    private static readonly string[] Roots = ["link_while_busy", "hold", "csa_board_link_write"];

    public static TheoryData<string> Boards() => new() { "stm32f4", "stm32l4", "qemu" };

    [Theory]
    [MemberData(nameof(Boards))]
    public async Task Everything_the_busy_step_reaches_is_in_SRAM_and_the_copies_fit(string board)
    {
        string folder = (await ChipImages.GetAsync(FirmwareConfiguration.ArmLinkInSram)).Folder;
        MemoryMap map = board == "stm32l4" ? MemoryMap.Stm32L4_1M : MemoryMap.Stm32F4_1M;
        // The QEMU board's copy carries the semihosting flash driver (332 bytes over 32 KB with the link in SRAM).
        long flashBudget = board == "qemu" ? 33 * 1024 : ChipBudgetTests.BootloaderFlashBudget;
        foreach ((string copy, MemoryRegion region) in new[] { ("a", map.BootloaderA), ("b", map.BootloaderB) })
        {
            string elf = Path.Combine(folder, $"bootloader-{copy}-{board}.elf");

            ProcessResult check = await RunCheckAsync(elf, Roots);
            ChipImageSize size = await ChipImageSize.MeasureAsync(elf, region.Address);

            Assert.True(check.ExitCode == 0, $"bootloader-{copy}-{board}: {check.Output}");
            Assert.Contains("all in SRAM", check.Output);
            Assert.Contains("link_while_busy", check.Output);
            Assert.True(size.Flash <= flashBudget, $"bootloader-{copy}-{board}: {size.Flash} bytes of flash, over {flashBudget}");
            Assert.True(size.Sram <= SramBudget, $"bootloader-{copy}-{board}: {size.Sram} bytes of SRAM, over {SramBudget}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bootloader-{copy}-{board}: flash {size.Flash} / {flashBudget}, SRAM {size.Sram} (.data {size.DataSize}, .bss {size.Bss}, stack {size.Stack})"));
        }
    }

    /// <summary>The check can fail: from the busy step and the reset handler (in flash), it names the one in flash.</summary>
    [Fact]
    public async Task The_check_fails_when_a_function_reached_lies_in_flash()
    {
        string elf = Path.Combine((await ChipImages.GetAsync(FirmwareConfiguration.ArmLinkInSram)).Folder, "bootloader-a-stm32f4.elf");

        ProcessResult check = await RunCheckAsync(elf, ["link_while_busy", "Reset_Handler"]);

        Assert.Equal(1, check.ExitCode);
        Assert.Contains("Reset_Handler is reached from the busy step but lies in flash", check.Output);
    }

    private static Task<ProcessResult> RunCheckAsync(string elf, IEnumerable<string> roots) =>
        ProcessRunner.RunAsync(Path.Combine(FirmwareBuild.RepositoryRoot, "firmware", "tools", "ramfunc_reach.sh"), [elf, .. roots],
            FirmwareBuild.RepositoryRoot);
}

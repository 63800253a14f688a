using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using Csa.Firmware.Tests.Support;
using Csa.Simulator.Memory;
using Xunit.Abstractions;

namespace Csa.Firmware.Tests.Chips;

/// <summary>
/// The chip images (firmware/chips, cross-compiled with arm-none-eabi-gcc for every board) fit where the product says
/// they must, measured by <c>arm-none-eabi-size</c>: a bootloader copy in 32 KB of flash and 32 KB of SRAM, the
/// pre-bootloader in the F4's first 16 KB sector with its record in the last 32 bytes, each image linked at its
/// region of docs/device-model.md section 2. The budgets here are the product's, not the linker scripts': a build that
/// outgrows them fails CI even if someone widens a linker script. The linker enforces the same budgets (a last test
/// shows it refusing a bootloader with a 16 KB budget).
/// </summary>
[Trait("Requirement", "REQ-UPD-BL")]
[Trait("Requirement", "REQ-BOOT-VERIFY")]
public sealed class ChipBudgetTests(ITestOutputHelper output)
{
    /// <summary>A bootloader copy: "16-32 KB with adapted cryptography" of flash, and the product's smallest SRAM.</summary>
    public const long BootloaderFlashBudget = 32 * 1024;

    public const long BootloaderSramBudget = 32 * 1024;

    /// <summary>The pre-bootloader: the F4's first sector (16 KB), its record in the last 32 bytes.</summary>
    public const long PreBootloaderRegion = 16 * 1024;

    public const int PreBootloaderRecord = 32;

    /// <summary>The trailer at the end of a bootloader or application region (device-model.md 5.1).</summary>
    public const long TrailerSize = 4096;

    public static TheoryData<string> Boards() => new() { "stm32f4", "stm32l4", "qemu" };

    [Theory]
    [MemberData(nameof(Boards))]
    public async Task Every_image_of_a_board_fits_its_region_and_the_products_budgets(string board)
    {
        string folder = (await ChipImages.GetAsync()).Folder;
        MemoryMap map = MapOf(board);
        long sram = board == "stm32l4" ? 96 * 1024 : 128 * 1024; // L476 SRAM1; F405/F407 SRAM1 + SRAM2
        output.WriteLine($"{board} ({map.Name}): image, flash used / budget, SRAM used / budget (.data + .bss + stack)");
        foreach ((string image, MemoryRegion region, long flashBudget, long sramBudget) in new[]
        {
            ("preboot", map.PreBootloader, PreBootloaderRegion - PreBootloaderRecord, BootloaderSramBudget),
            ("bootloader-a", map.BootloaderA, BootloaderFlashBudget, BootloaderSramBudget),
            ("bootloader-b", map.BootloaderB, BootloaderFlashBudget, BootloaderSramBudget),
            ("demo-app", map.Application, map.Application.Size - TrailerSize, sram),
        })
        {
            string target = $"{image}-{board}";
            ChipImageSize size = await ChipImageSize.MeasureAsync(Path.Combine(folder, target + ".elf"), region.Address);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {target,-22} flash {size.Flash,6} / {flashBudget,6}   SRAM {size.Sram,6} / {sramBudget,6} (.data {size.DataSize}, .bss {size.Bss}, stack {size.Stack})"));

            Assert.True(size.Flash <= flashBudget, $"{target}: {size.Flash} bytes of flash, over its budget of {flashBudget}");
            Assert.True(size.Sram <= sramBudget, $"{target}: {size.Sram} bytes of SRAM, over its budget of {sramBudget}");
            Assert.All(size.FlashSections, s => Assert.True(s.Address >= region.Address && s.Address + s.Size <= region.EndAddress,
                $"{target}: {s.Name} at 0x{s.Address:X8} is outside {region.Kind} (0x{region.Address:X8}-0x{region.EndAddress:X8})"));

            // What a reset keeps (the node address, the bootloader's findings for the application) is at the same
            // SRAM address in every image that uses it, after the vector table's SRAM copy: ld/image.ld.in.
            Assert.All(size.Sections.Where(s => s.Name == ".retained"), s => Assert.Equal(ChipImageSize.SramBase + 448, s.Address));
            Assert.All(size.Sections.Where(s => s.Name == ".ram_vectors"), s => Assert.Equal(ChipImageSize.SramBase, s.Address));

            // The raw image the production programmer and the updater send: from the region's start, as long as the
            // flash it takes (the pre-bootloader's spans its whole region, to its record).
            byte[] bin = await File.ReadAllBytesAsync(Path.Combine(folder, target + ".bin"));
            Assert.Equal(image == "preboot" ? PreBootloaderRegion : size.Flash, bin.Length);
            // Its vector table is at the region's start: the initial stack pointer at the top of its SRAM budget, the
            // reset handler a Thumb address inside the image. That is what the pre-bootloader and the bootloader jump to.
            uint initialSp = BinaryPrimitives.ReadUInt32LittleEndian(bin);
            uint reset = BinaryPrimitives.ReadUInt32LittleEndian(bin.AsSpan(4));
            Assert.InRange(initialSp, (uint)(ChipImageSize.SramBase + size.Sram), (uint)(ChipImageSize.SramBase + sramBudget));
            Assert.True((reset & 1) == 1 && reset - 1 >= region.Address && reset - 1 < region.Address + size.Flash,
                $"{target}: reset handler 0x{reset:X8} is not a Thumb address inside the image");
        }
    }

    [Theory]
    [MemberData(nameof(Boards))]
    public async Task The_pre_bootloader_ends_with_its_record_version_1_0_0(string board)
    {
        byte[] bin = await File.ReadAllBytesAsync(Path.Combine((await ChipImages.GetAsync()).Folder, $"preboot-{board}.bin"));
        // The record a bootloader reads to report the pre-bootloader (device-model.md 5.1): the document's golden
        // vector, byte for byte, in the region's last 32 bytes (0x08003FE0 on both 1 MB maps).
        Assert.Equal(PreBootloaderMarkerGolden(), bin[^PreBootloaderRecord..]);
        Assert.Equal((long)MapOf(board).PreBootloader.Size, bin.LongLength);
    }

    /// <summary>
    /// The linker is the first guard: with a 16 KB budget the bootloader copy does not link ("region `FLASH'
    /// overflowed"), so no build ever produces an image larger than its region. The shortfall it reports is what a
    /// 16 KB variant would have to drop (docs/performance.md, "On the chips").
    /// </summary>
    [Fact]
    public async Task A_bootloader_over_its_budget_does_not_link()
    {
        var sixteen = new FirmwareConfiguration("arm-none-eabi-bootloader-16k", null,
            ["-DCSA_CHIP_BOARDS=stm32f4", "-DCSA_BOOTLOADER_FLASH_BUDGET=16384"], FirmwareConfiguration.Arm.Toolchain);

        ProcessResult result = await FirmwareBuild.BuildTargetAsync(sixteen, "bootloader-a-stm32f4");

        Assert.NotEqual(0, result.ExitCode);
        Match overflow = Regex.Match(result.Output, @"region `FLASH' overflowed by (\d+) bytes");
        Assert.True(overflow.Success, $"the build failed for another reason:\n{result.Output}");
        output.WriteLine($"bootloader-a-stm32f4 with a 16384-byte budget: region `FLASH' overflowed by {overflow.Groups[1].Value} bytes");
    }

    private static MemoryMap MapOf(string board) => board == "stm32l4" ? MemoryMap.Stm32L4_1M : MemoryMap.Stm32F4_1M;

    /// <summary>The golden vector "prebootloader-marker" of docs/device-model.md.</summary>
    private static byte[] PreBootloaderMarkerGolden()
    {
        string document = File.ReadAllText(Path.Combine(FirmwareBuild.RepositoryRoot, "docs", "device-model.md"));
        Match block = Regex.Match(document, @"<!-- golden:prebootloader-marker -->\s*```text\s*(?<hex>[0-9A-Fa-f\s]+?)```");
        Assert.True(block.Success, "docs/device-model.md has no golden:prebootloader-marker block");
        return Convert.FromHexString(Regex.Replace(block.Groups["hex"].Value, @"\s", ""));
    }
}

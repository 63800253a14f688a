using System.Globalization;

namespace Csa.Firmware.Tests.Support;

/// <summary>One allocated section of a linked chip image, as <c>arm-none-eabi-size -A -d</c> reports it.</summary>
internal sealed record ElfSection(string Name, long Size, long Address);

/// <summary>
/// What a chip image takes, from <c>arm-none-eabi-size -A -d</c> (the sizes docs/performance.md reports): the flash
/// from the image's load address to its last byte (vector table, code, constants, and the initial values of .data that
/// start-up copies to SRAM), and the SRAM from the start of SRAM to the end of its stack reservation (the vector
/// table copy and the retained block, .data, .bss and the stack).
/// </summary>
internal sealed record ChipImageSize(string Image, IReadOnlyList<ElfSection> Sections, long FlashStart, long SramStart)
{
    public const long SramBase = 0x2000_0000;

    /// <summary>Sections linked into flash (the vector table, code, constants; the pre-bootloader's record apart).</summary>
    public IEnumerable<ElfSection> FlashSections => Sections.Where(s => s.Address >= FlashStart && s.Address < SramBase && s.Name != ".csa_preboot_marker");

    /// <summary>Sections in SRAM.</summary>
    public IEnumerable<ElfSection> SramSections => Sections.Where(s => s.Address >= SramStart);

    /// <summary>.data's initial values, stored in flash right after the code.</summary>
    public long DataSize => Sections.Where(s => s.Name == ".data").Sum(s => s.Size);

    /// <summary>Bytes of flash from the image's start to its last byte: what its region must hold.</summary>
    public long Flash => FlashSections.Max(s => s.Address + s.Size) - FlashStart + DataSize;

    /// <summary>Bytes of SRAM from its start to the end of the stack reservation: the smallest part it runs on.</summary>
    public long Sram => SramSections.Max(s => s.Address + s.Size) - SramStart;

    /// <summary>Code and constants alone (arm-none-eabi-size's "text" less .data).</summary>
    public long Text => FlashSections.Sum(s => s.Size);

    public long Bss => Sections.Where(s => s.Name == ".bss").Sum(s => s.Size);

    public long Stack => Sections.Where(s => s.Name == ".stack").Sum(s => s.Size);

    /// <summary>Runs <c>arm-none-eabi-size -A -d</c> on <paramref name="elf"/>.</summary>
    public static async Task<ChipImageSize> MeasureAsync(string elf, long flashStart)
    {
        ProcessResult result = await ProcessRunner.RunAsync("arm-none-eabi-size", ["-A", "-d", elf], Path.GetDirectoryName(elf)!);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"arm-none-eabi-size {elf} failed:\n{result}");
        var sections = new List<ElfSection>();
        foreach (string line in result.Output.Split('\n'))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length == 3 && columns[0].StartsWith('.')
                && long.TryParse(columns[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size)
                && long.TryParse(columns[2], NumberStyles.None, CultureInfo.InvariantCulture, out long address)
                && address != 0 && size != 0)
                sections.Add(new ElfSection(columns[0], size, address));
        }
        if (sections.Count == 0)
            throw new InvalidOperationException($"arm-none-eabi-size listed no sections of {elf}:\n{result.Output}");
        return new ChipImageSize(Path.GetFileNameWithoutExtension(elf), sections, flashStart, SramBase);
    }
}

using System.Buffers.Binary;

namespace Csa.Bootloader.Images.Internal;

/// <summary>
/// Reads the flash contents of an ELF32 little-endian ARM executable, as a Cortex-M linker writes it: the bytes
/// each PT_LOAD program header places in the file (p_filesz &gt; 0) go to the segment's physical address (p_paddr,
/// the load memory address, where initialised data lives in flash), gaps filled with 0xFF. Sections and symbols
/// are not read: the program headers are what a loader (and <c>objcopy -O binary</c> for such a file) uses.
/// </summary>
internal static class ElfReader
{
    private const int HeaderSize = 52;
    private const int ProgramHeaderSize = 32;
    private const ushort TypeExecutable = 2;
    private const ushort MachineArm = 40;
    private const uint SegmentLoad = 1;

    /// <summary>True when <paramref name="content"/> starts with the ELF magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> content) =>
        content.Length >= 4 && content[0] == 0x7F && content[1] == (byte)'E' && content[2] == (byte)'L' && content[3] == (byte)'F';

    /// <param name="file">The whole ELF file.</param>
    /// <param name="loadAddress">The start of the load region when the caller knows it; else the lowest segment address.</param>
    /// <param name="maxSpan">The size of the load region: the largest payload.</param>
    public static LoadedFirmware Read(ReadOnlySpan<byte> file, uint? loadAddress, int maxSpan)
    {
        if (!HasMagic(file))
            throw new ElfFormatException(ElfError.NotElf, 0, "the file does not start with the ELF magic 7F 45 4C 46");
        if (file.Length < HeaderSize)
            throw new ElfFormatException(ElfError.Truncated, file.Length, $"the file is {file.Length} bytes, shorter than the {HeaderSize}-byte ELF32 header");
        switch (file[4])
        {
            case 1:
                break;
            case 2:
                throw new ElfFormatException(ElfError.NotElf32, 4, "the file is ELF64 (EI_CLASS 2); STM32 (Cortex-M) firmware is ELF32");
            default:
                throw new ElfFormatException(ElfError.BadHeader, 4, $"EI_CLASS is {file[4]}, neither 1 (ELF32) nor 2 (ELF64)");
        }
        switch (file[5])
        {
            case 1:
                break;
            case 2:
                throw new ElfFormatException(ElfError.NotLittleEndian, 5, "the file is big-endian (EI_DATA 2); Cortex-M firmware is little-endian");
            default:
                throw new ElfFormatException(ElfError.BadHeader, 5, $"EI_DATA is {file[5]}, neither 1 (little-endian) nor 2 (big-endian)");
        }
        if (file[6] != 1)
            throw new ElfFormatException(ElfError.BadHeader, 6, $"EI_VERSION is {file[6]}, not 1");

        ushort type = U16(file, 16);
        if (type != TypeExecutable)
        {
            string what = type switch { 1 => "a relocatable object file (ET_REL): link it first", 3 => "a shared object (ET_DYN)", 4 => "a core dump (ET_CORE)", _ => $"of type {type}" };
            throw new ElfFormatException(ElfError.NotExecutable, 16, $"the file is {what}, not an executable (ET_EXEC) with final addresses");
        }
        ushort machine = U16(file, 18);
        if (machine != MachineArm)
            throw new ElfFormatException(ElfError.NotArm, 18, $"the file is built for machine {machine}{MachineName(machine)}, not ARM (40)");
        if (U32(file, 20) != 1)
            throw new ElfFormatException(ElfError.BadHeader, 20, $"e_version is {U32(file, 20)}, not 1");
        uint entry = U32(file, 24);
        uint phoff = U32(file, 28);
        ushort ehsize = U16(file, 40);
        ushort phentsize = U16(file, 42);
        ushort phnum = U16(file, 44);
        if (ehsize != HeaderSize)
            throw new ElfFormatException(ElfError.BadHeader, 40, $"e_ehsize is {ehsize}, not {HeaderSize}");
        if (phnum == 0)
            throw new ElfFormatException(ElfError.NoLoadableData, 44, "the file has no program headers, so nothing says what goes into flash");
        if (phnum == 0xFFFF)
            throw new ElfFormatException(ElfError.BadHeader, 44, "the file uses extended program header numbering (e_phnum 0xFFFF); firmware never has that many segments");
        if (phentsize != ProgramHeaderSize)
            throw new ElfFormatException(ElfError.BadHeader, 42, $"e_phentsize is {phentsize}, not {ProgramHeaderSize}");
        if ((ulong)phoff + ((ulong)phnum * ProgramHeaderSize) > (ulong)file.Length)
            throw new ElfFormatException(ElfError.Truncated, 28, $"the {phnum} program headers at offset {phoff} (e_phoff) run past the end of the {file.Length}-byte file"); // the offending field, inside the file

        var runs = new AddressRuns();
        for (int i = 0; i < phnum; i++)
        {
            int at = (int)phoff + (i * ProgramHeaderSize);
            if (U32(file, at) != SegmentLoad)
                continue;
            uint offset = U32(file, at + 4);
            uint vaddr = U32(file, at + 8);
            uint paddr = U32(file, at + 12);
            uint filesz = U32(file, at + 16);
            uint memsz = U32(file, at + 20);
            if (filesz == 0)
                continue; // .bss and stacks: RAM that startup code clears, nothing in flash
            string name = $"segment {i} (physical 0x{paddr:X8}, virtual 0x{vaddr:X8}, {filesz} bytes)";
            if (filesz > memsz)
                throw new ElfFormatException(ElfError.BadSegment, at + 16, $"{name} has more bytes in the file than in memory ({memsz})");
            if ((ulong)offset + filesz > (ulong)file.Length)
                throw new ElfFormatException(ElfError.Truncated, at + 4, $"{name} lies at file offset {offset}, past the end of the {file.Length}-byte file");
            if ((ulong)paddr + filesz > 0x1_0000_0000UL)
                throw new ElfFormatException(ElfError.BadSegment, at + 12, $"{name} runs past the end of the 32-bit address space");
            runs.Add(paddr, file.Slice((int)offset, (int)filesz).ToArray(), i);
        }
        if (runs.Count == 0)
            throw new ElfFormatException(ElfError.NoLoadableData, phoff, "no PT_LOAD segment has bytes in the file, so nothing goes into flash");

        AddressRuns.Run[] sorted = runs.Sorted();
        if (AddressRuns.TryFindOverlap(sorted, out AddressRuns.Run later, out AddressRuns.Run earlier))
        {
            throw new ElfFormatException(ElfError.OverlappingSegments, phoff + (later.Source * ProgramHeaderSize),
                $"segment {later.Source} (physical 0x{later.Address:X8}, {later.Bytes.Length} bytes) overlaps segment {earlier.Source} (physical 0x{earlier.Address:X8}, {earlier.Bytes.Length} bytes)");
        }

        uint start = loadAddress ?? sorted[0].Address;
        ulong regionEnd = (ulong)start + (ulong)maxSpan;
        foreach (AddressRuns.Run run in sorted)
        {
            if (run.Address < start || run.End > regionEnd)
            {
                throw new ElfFormatException(ElfError.SegmentOutsideLoadRegion, phoff + (run.Source * ProgramHeaderSize),
                    $"segment {run.Source} (physical 0x{run.Address:X8}, {run.Bytes.Length} bytes) lies outside the load region 0x{start:X8}..0x{regionEnd - 1:X8} " +
                    $"({maxSpan} bytes from {(loadAddress is null ? "the lowest segment" : "the load address")}); initialised data needs a flash load address (AT> in the linker script)");
            }
        }

        ulong span = AddressRuns.End(sorted) - sorted[0].Address;
        return new LoadedFirmware(AddressRuns.Flatten(sorted, span), sorted[0].Address, entry == 0 ? null : entry);
    }

    private static ushort U16(ReadOnlySpan<byte> file, int at) => BinaryPrimitives.ReadUInt16LittleEndian(file[at..]);

    private static uint U32(ReadOnlySpan<byte> file, int at) => BinaryPrimitives.ReadUInt32LittleEndian(file[at..]);

    private static string MachineName(ushort machine) => machine switch
    {
        3 => " (x86)",
        8 => " (MIPS)",
        62 => " (x86-64)",
        183 => " (AArch64)",
        243 => " (RISC-V)",
        _ => string.Empty,
    };
}

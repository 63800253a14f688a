namespace Csa.Bootloader.Images;

/// <summary>What is wrong with an ELF firmware file (see <see cref="ElfFormatException"/>).</summary>
public enum ElfError
{
    /// <summary>The file does not start with the ELF magic 7F 'E' 'L' 'F'.</summary>
    NotElf = 1,

    /// <summary>The file ends inside its ELF header, a program header or a segment's bytes.</summary>
    Truncated,

    /// <summary>An ELF64 file (EI_CLASS 2): STM32 firmware is ELF32.</summary>
    NotElf32,

    /// <summary>A big-endian file (EI_DATA 2): Cortex-M firmware is little-endian.</summary>
    NotLittleEndian,

    /// <summary>A header field no valid ELF32 file has: version, header or program header size, extended numbering.</summary>
    BadHeader,

    /// <summary>Not an executable (ET_EXEC): an object file (.o) or a shared library has no final addresses.</summary>
    NotExecutable,

    /// <summary>Built for another machine than ARM (e_machine 40).</summary>
    NotArm,

    /// <summary>A PT_LOAD segment's sizes contradict each other (file size above memory size) or run past 4 GiB.</summary>
    BadSegment,

    /// <summary>No PT_LOAD segment has bytes in the file.</summary>
    NoLoadableData,

    /// <summary>Two PT_LOAD segments cover the same physical addresses.</summary>
    OverlappingSegments,

    /// <summary>
    /// A PT_LOAD segment lies outside the load region (below the load address, or further above it than the largest
    /// payload): typically initialised data whose physical address was left in RAM (no <c>AT&gt;</c> in the linker script).
    /// </summary>
    SegmentOutsideLoadRegion,
}

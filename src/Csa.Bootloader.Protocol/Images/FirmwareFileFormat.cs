namespace Csa.Bootloader.Images;

/// <summary>The kinds of firmware file <see cref="FirmwareSource"/> reads (docs/image-format.md section 7).</summary>
public enum FirmwareFileFormat
{
    /// <summary>Decide by content (<see cref="FirmwareSource.DetectFormat"/>): ELF magic, then the first record of a text file.</summary>
    Auto = 0,

    /// <summary>A raw binary: the bytes as they go into flash; the load address must be given.</summary>
    Binary,

    /// <summary>Intel HEX (record types 00-05).</summary>
    IntelHex,

    /// <summary>Motorola S-record (S0, S1/S2/S3, S5/S6, S7/S8/S9).</summary>
    SRecord,

    /// <summary>ELF32 little-endian ARM executable: its PT_LOAD segments at their physical addresses.</summary>
    Elf,
}

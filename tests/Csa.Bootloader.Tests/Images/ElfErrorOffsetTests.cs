using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// An ELF error's offset is a position in the file, as ElfFormatException.Offset documents ("the byte offset in the
/// file of the offending header or field"). Found by the elf fuzz target (docs/security.md 11): program headers past the
/// end of the file were reported at e_phoff's value, an offset outside the file (6291508 in a 127-byte file).
/// </summary>
[Trait("Requirement", "REQ-TAMPER")]
public sealed class ElfErrorOffsetTests
{
    [Theory]
    [InlineData(0x0000_0134u)]  // just past a 65-byte file
    [InlineData(0x0060_0034u)]  // far past it
    [InlineData(0xFFFF_FFF0u)]  // near the top of the 32-bit range
    public void Program_headers_past_the_end_of_an_elf_file_are_refused_at_the_e_phoff_field(uint phoff)
    {
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020000, [1, 2, 3, 4])]);
        BitConverter.GetBytes(phoff).CopyTo(elf, 28);
        var e = Assert.Throws<ElfFormatException>(() => FirmwareSource.FromElf(elf));
        Assert.Equal(ElfError.Truncated, e.Error);
        Assert.Equal(28, e.Offset);
        Assert.InRange(e.Offset, 0, elf.Length - 1);
    }
}

using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// Errors point inside the input, as docs/image-format.md 7 promises (1-based line numbers; ELF offsets of the
/// offending field). Found by the fuzz targets intel-hex, s-record and elf (docs/security.md 11): an empty text gave
/// line 0, a file with only an end record gave line 0, and program headers past the end of the file gave their own
/// (out of file) offset.
/// </summary>
[Trait("Requirement", "REQ-TAMPER")]
public sealed class FirmwareInputPositionTests
{
    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("\r\n\r\n")]
    public void An_empty_intel_hex_text_is_refused_on_line_1(string text)
    {
        var e = Assert.Throws<IntelHexFormatException>(() => FirmwareSource.FromIntelHex(text));
        Assert.Equal(IntelHexError.MissingEndOfFile, e.Error);
        Assert.Equal(1, e.LineNumber);
    }

    [Fact]
    public void An_intel_hex_file_without_data_is_refused_at_its_end_of_file_record()
    {
        var e = Assert.Throws<IntelHexFormatException>(() => FirmwareSource.FromIntelHex(":020000040802F0\n\n:00000001FF\n"));
        Assert.Equal(IntelHexError.NoData, e.Error);
        Assert.Equal(3, e.LineNumber);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    public void An_empty_s_record_text_is_refused_on_line_1(string text)
    {
        var e = Assert.Throws<SRecordFormatException>(() => FirmwareSource.FromSRecord(text));
        Assert.Equal(SRecordError.MissingTermination, e.Error);
        Assert.Equal(1, e.LineNumber);
    }

    [Fact]
    public void An_s_record_file_without_data_is_refused_at_its_termination_record()
    {
        var e = Assert.Throws<SRecordFormatException>(() =>
            FirmwareSource.FromSRecord(SRecordWriter.Record(0, 0) + "\n" + SRecordWriter.Record(7, 0x08020000) + "\n"));
        Assert.Equal(SRecordError.NoData, e.Error);
        Assert.Equal(2, e.LineNumber);
    }

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

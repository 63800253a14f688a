using System.Text;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>A firmware file is told by its content (docs/image-format.md section 7), so an ELF is never packed as raw bytes.</summary>
[Trait("Requirement", "REQ-AUTH-FW")]
public sealed class FirmwareFormatDetectionTests
{
    private const string Hex = ":020000040802F0\n:0400000001020304F2\n:00000001FF\n";
    private static readonly string SRec = SRecordWriter.File(0x08020000, [1, 2, 3, 4]);
    private static readonly byte[] Elf = ElfWriter.Write([new ElfSegment(0x08020000, [1, 2, 3, 4])]);

    [Fact]
    public void Each_format_is_told_by_its_first_bytes()
    {
        Assert.Equal(FirmwareFileFormat.Elf, FirmwareSource.DetectFormat(Elf));
        Assert.Equal(FirmwareFileFormat.IntelHex, FirmwareSource.DetectFormat(Encoding.ASCII.GetBytes(Hex)));
        Assert.Equal(FirmwareFileFormat.SRecord, FirmwareSource.DetectFormat(Encoding.ASCII.GetBytes(SRec)));
        // A byte order mark and leading blank lines do not hide the first record.
        Assert.Equal(FirmwareFileFormat.IntelHex, FirmwareSource.DetectFormat([0xEF, 0xBB, 0xBF, .. "\r\n"u8, .. Encoding.ASCII.GetBytes(Hex)]));
        Assert.Equal(FirmwareFileFormat.SRecord, FirmwareSource.DetectFormat(Encoding.ASCII.GetBytes("\n" + SRec.ToLowerInvariant())));
        // A Cortex-M vector table (initial SP 0x20008000 first) is a binary.
        Assert.Equal(FirmwareFileFormat.Binary, FirmwareSource.DetectFormat(Convert.FromHexString("00800020C1000208")));
        Assert.Equal(FirmwareFileFormat.Binary, FirmwareSource.DetectFormat("S1 is not a record\n"u8));
        Assert.Equal(FirmwareFileFormat.Binary, FirmwareSource.DetectFormat(":xyz\n"u8));
        Assert.Equal(FirmwareFileFormat.Binary, FirmwareSource.DetectFormat([]));
    }

    [Fact]
    public void Parse_reads_each_format_by_content()
    {
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, FirmwareSource.Parse(Elf).Data.ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, FirmwareSource.Parse(Encoding.ASCII.GetBytes(SRec)).Data.ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, FirmwareSource.Parse(Encoding.ASCII.GetBytes(Hex)).Data.ToArray());
        Assert.Equal(0x08020000u, FirmwareSource.Parse(Elf, loadAddress: 0x08020000).LoadAddress);
        Assert.Throws<ArgumentException>(() => FirmwareSource.Parse(Encoding.ASCII.GetBytes(Hex), loadAddress: 0x08040000));
        Assert.Throws<ArgumentException>(() => FirmwareSource.Parse([1, 2, 3]));
        Assert.Throws<ArgumentException>(() => FirmwareSource.Parse([]));
        // Forced: the same ELF as raw bytes (the caller's explicit choice), or as HEX (refused with the HEX error).
        Assert.Equal(Elf, FirmwareSource.Parse(Elf, FirmwareFileFormat.Binary, 0x08020000).Data.ToArray());
        Assert.Throws<IntelHexFormatException>(() => FirmwareSource.Parse(Elf, FirmwareFileFormat.IntelHex));
    }

    [Fact]
    public async Task Files_are_read_by_content_whatever_their_name()
    {
        string dir = Directory.CreateTempSubdirectory("csa-firmware-").FullName;
        try
        {
            // The defect this guards against: firmware.elf packed whole, headers and all, as the payload.
            await File.WriteAllBytesAsync(Path.Combine(dir, "m.elf"), Elf);
            await File.WriteAllBytesAsync(Path.Combine(dir, "m.bin"), Elf);
            await File.WriteAllTextAsync(Path.Combine(dir, "m.s19"), SRec);
            await File.WriteAllTextAsync(Path.Combine(dir, "m.dat"), Hex);
            FirmwareSource elf = await FirmwareSource.ReadFileAsync(Path.Combine(dir, "m.elf"), 0x08020000);
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, elf.Data.ToArray());
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, (await FirmwareSource.ReadFileAsync(Path.Combine(dir, "m.bin"))).Data.ToArray());
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, (await FirmwareSource.ReadFileAsync(Path.Combine(dir, "m.s19"))).Data.ToArray());
            Assert.Equal(new byte[] { 1, 2, 3, 4 }, (await FirmwareSource.ReadFileAsync(Path.Combine(dir, "m.dat"))).Data.ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

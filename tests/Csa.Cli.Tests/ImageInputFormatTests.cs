using System.Buffers.Binary;
using Csa.Bootloader.Images;

namespace Csa.Cli.Tests;

/// <summary>
/// <c>csa image build</c> from ELF and S-record files (made by the real arm-none-eabi toolchain, see
/// TestData/images/README.md): the payload is the flash contents, never the file's own bytes; files are told by
/// content; what is not firmware is exit 4 saying what is wrong.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
public sealed class ImageInputFormatTests
{
    private static string[] Args(string firmware, string output, params string[] extra) =>
    [
        "image", "build", firmware, "--version", "1.2.3+45", "--security-counter", "7", "--vendor", "0x0000C5A0",
        "--device-class", "0x00000401", "--crc", "-o", output, .. extra,
    ];

    [Theory]
    [InlineData("firmware.elf")]
    [InlineData("firmware.srec")]
    public async Task Build_FromElfOrSRecord_GivesTheSameImageAsTheBinary(string name)
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(Args(ImageTestSupport.TestData("firmware.bin"), dir["bin.csai"], "--load-address", "0x08020000"));
        await ImageTestSupport.RunOk(Args(ImageTestSupport.TestData(name), dir["a.csai"]));
        // The case that packed the whole ELF (headers, padding) as the payload: with a load address given.
        await ImageTestSupport.RunOk(Args(ImageTestSupport.TestData(name), dir["b.csai"], "--load-address", "0x08020000"));

        byte[] expected = File.ReadAllBytes(dir["bin.csai"]);
        Assert.Equal(expected, File.ReadAllBytes(dir["a.csai"]));
        Assert.Equal(expected, File.ReadAllBytes(dir["b.csai"]));
        Assert.Equal(96u, ImageReader.Parse(File.ReadAllBytes(dir["b.csai"])).Manifest.PayloadSize);
    }

    [Fact]
    public async Task AnElfFile_IsReadAsElfWhateverItsName()
    {
        using var dir = new TempFolder();
        File.Copy(ImageTestSupport.TestData("firmware.elf"), dir["firmware.bin"]);
        await ImageTestSupport.RunOk(Args(ImageTestSupport.TestData("firmware.bin"), dir["bin.csai"], "--load-address", "0x08020000"));
        await ImageTestSupport.RunOk(Args(dir["firmware.bin"], dir["a.csai"], "--load-address", "0x08020000"));
        Assert.Equal(File.ReadAllBytes(dir["bin.csai"]), File.ReadAllBytes(dir["a.csai"]));
    }

    [Fact]
    public async Task InputFormatBin_PacksTheFileAsItIs()
    {
        using var dir = new TempFolder();
        await ImageTestSupport.RunOk(Args(ImageTestSupport.TestData("firmware.elf"), dir["a.csai"], "--load-address", "0x08020000", "--input-format", "bin"));
        Assert.Equal((uint)new FileInfo(ImageTestSupport.TestData("firmware.elf")).Length, ImageReader.Parse(File.ReadAllBytes(dir["a.csai"])).Manifest.PayloadSize);
        await ImageTestSupport.RunFails(ExitCodes.Usage, Args(ImageTestSupport.TestData("firmware.elf"), dir["b.csai"], "--input-format", "coff"));
    }

    [Fact]
    public async Task AnElf64File_IsInvalidInputSayingSo()
    {
        using var dir = new TempFolder();
        byte[] elf = File.ReadAllBytes(ImageTestSupport.TestData("firmware.elf"));
        elf[4] = 2; // EI_CLASS: ELF64
        File.WriteAllBytes(dir["m.elf"], elf);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, Args(dir["m.elf"], dir["a.csai"], "--load-address", "0x08020000"));
        Assert.Contains("ELF64", run.Error);
        Assert.False(File.Exists(dir["a.csai"]));
    }

    [Fact]
    public async Task AnElfSegmentOutsideTheLoadRegion_IsInvalidInput()
    {
        using var dir = new TempFolder();
        byte[] elf = File.ReadAllBytes(ImageTestSupport.TestData("firmware.elf"));
        int phoff = BinaryPrimitives.ReadInt32LittleEndian(elf.AsSpan(28));
        BinaryPrimitives.WriteUInt32LittleEndian(elf.AsSpan(phoff + 12), 0x20000000); // p_paddr of the only segment: RAM
        File.WriteAllBytes(dir["m.elf"], elf);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, Args(dir["m.elf"], dir["a.csai"], "--load-address", "0x08020000"));
        Assert.Contains("outside the load region", run.Error);
    }

    [Fact]
    public async Task AnSRecordFileWithABadChecksum_IsInvalidInputNamingTheLine()
    {
        using var dir = new TempFolder();
        string[] lines = File.ReadAllLines(ImageTestSupport.TestData("firmware.srec"));
        lines[2] = lines[2][..^2] + "00";
        File.WriteAllLines(dir["m.srec"], lines);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, Args(dir["m.srec"], dir["a.csai"]));
        Assert.Contains("S-record line 3", run.Error);
        Assert.Contains("checksum", run.Error);
    }

    [Theory]
    [InlineData("m.elf", "ELF file")]
    [InlineData("m.s19", "S-record line 1")]
    [InlineData("m.hex", "Intel HEX line 1")]
    public async Task AFileNamedAsAFormatThatItsContentIsNot_IsRefusedAsThatFormat(string name, string error)
    {
        using var dir = new TempFolder();
        File.Copy(ImageTestSupport.TestData("firmware.bin"), dir[name]);
        CliRun run = await ImageTestSupport.RunFails(ExitCodes.InvalidInput, Args(dir[name], dir["a.csai"], "--load-address", "0x08020000"));
        Assert.Contains(error, run.Error);
    }
}

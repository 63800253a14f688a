using System.Diagnostics;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// Firmware made by the real GNU ARM toolchain (Debian's binutils-arm-none-eabi, which .ci/run installs): a Cortex-M
/// vector table, code, and initialised data stored in flash (AT) but run from RAM, linked from
/// TestData/toolchain. The ELF, S-record and Intel HEX readers must give exactly the bytes and address that
/// <c>objcopy -O binary --gap-fill 0xff</c> gives.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
public sealed class ToolchainFirmwareTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csa-toolchain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Elf_s_record_and_hex_from_the_toolchain_read_as_objcopy_s_binary()
    {
        string elf = Link("firmware.ld");
        Run("arm-none-eabi-objcopy", "-O", "binary", "--gap-fill", "0xff", elf, Out("firmware.bin"));
        Run("arm-none-eabi-objcopy", "-O", "srec", elf, Out("firmware.srec"));
        Run("arm-none-eabi-objcopy", "-O", "ihex", elf, Out("firmware.hex"));
        byte[] binary = File.ReadAllBytes(Out("firmware.bin"));

        FirmwareSource fromElf = FirmwareSource.FromElf(File.ReadAllBytes(elf));
        FirmwareSource fromSrec = FirmwareSource.FromSRecord(File.ReadAllText(Out("firmware.srec")));
        FirmwareSource fromHex = FirmwareSource.FromIntelHex(File.ReadAllText(Out("firmware.hex")));

        // The data segment's load address is 0x08020100 (aligned to 256 after the code): a gap of erased flash.
        Assert.Equal(0x108, binary.Length);
        Assert.Equal(0xFF, binary[0x80]);
        foreach (FirmwareSource source in new[] { fromElf, fromSrec, fromHex })
        {
            Assert.Equal(0x08020000u, source.LoadAddress);
            Assert.Equal(binary, source.Data.ToArray());
            Assert.Equal(0x08020011u, source.EntryPoint); // Reset_Handler, Thumb bit set
        }
        Assert.Equal(FirmwareFileFormat.Elf, FirmwareSource.DetectFormat(File.ReadAllBytes(elf)));
        Assert.Equal(FirmwareFileFormat.SRecord, FirmwareSource.DetectFormat(File.ReadAllBytes(Out("firmware.srec"))));
        Assert.Equal(FirmwareFileFormat.IntelHex, FirmwareSource.DetectFormat(File.ReadAllBytes(Out("firmware.hex"))));
        Assert.Equal(FirmwareFileFormat.Binary, FirmwareSource.DetectFormat(binary));
    }

    [Fact]
    public void S1_and_S9_records_from_the_toolchain_are_read()
    {
        // Moved to address 0 the data fits 16-bit addresses, so objcopy writes S1 data and an S9 start record.
        string elf = Link("firmware.ld");
        Run("arm-none-eabi-objcopy", "-O", "srec", "--change-addresses", "-0x08020000", elf, Out("low.srec"));
        Run("arm-none-eabi-objcopy", "-O", "binary", "--gap-fill", "0xff", elf, Out("firmware.bin"));
        string text = File.ReadAllText(Out("low.srec"));
        Assert.Contains("\nS1", text, StringComparison.Ordinal);
        Assert.Contains("\nS9", text, StringComparison.Ordinal);

        FirmwareSource source = FirmwareSource.FromSRecord(text);
        Assert.Equal(0u, source.LoadAddress);
        Assert.Equal(File.ReadAllBytes(Out("firmware.bin")), source.Data.ToArray());
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public void Initialised_data_linked_without_a_flash_load_address_is_refused()
    {
        // The same program, but .data has no AT(): the linker leaves its physical address in RAM.
        string elf = Link("firmware-data-in-ram.ld");
        ElfFormatException e = Assert.Throws<ElfFormatException>(() => FirmwareSource.FromElf(File.ReadAllBytes(elf)));
        Assert.Equal(ElfError.SegmentOutsideLoadRegion, e.Error);
        Assert.Contains("physical 0x20000000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unlinked_object_file_is_refused()
    {
        Run("arm-none-eabi-as", "-o", Out("firmware.o"), Source("firmware.s"));
        ElfFormatException e = Assert.Throws<ElfFormatException>(() => FirmwareSource.FromElf(File.ReadAllBytes(Out("firmware.o"))));
        Assert.Equal(ElfError.NotExecutable, e.Error);
    }

    private string Link(string script)
    {
        Run("arm-none-eabi-as", "-o", Out("firmware.o"), Source("firmware.s"));
        Run("arm-none-eabi-ld", "-T", Source(script), "-o", Out("firmware.elf"), Out("firmware.o"));
        return Out("firmware.elf");
    }

    private string Out(string name) => Path.Combine(_dir, name);

    private static string Source(string name) => Golden.TestDataPath(Path.Combine("toolchain", name));

    private static void Run(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{tool} is not installed: `apt-get install binutils-arm-none-eabi` (.ci/run does)", e);
        }
        using (process)
        {
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(60_000), $"{tool} hang guard");
            Assert.True(process.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed:\n{output}");
        }
    }
}

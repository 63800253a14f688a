using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// ELF input (docs/image-format.md section 7): the PT_LOAD segments at their physical addresses, never the file's own
/// bytes; every file that is not STM32 firmware refused with a typed error.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
public sealed class ElfTests
{
    private static readonly byte[] Vectors = Convert.FromHexString("00800020C1000208C9000208CB000208");
    private static readonly byte[] InitialisedData = Convert.FromHexString("78563412637361");

    private static ElfFormatException Fails(byte[] elf, uint? loadAddress = null) => Assert.Throws<ElfFormatException>(() => FirmwareSource.FromElf(elf, loadAddress));

    [Fact]
    public void Segments_go_to_their_physical_addresses_with_gaps_erased_and_bss_left_out()
    {
        byte[] elf = ElfWriter.Write(
        [
            new ElfSegment(0x08020000, Vectors),
            // .data: runs from RAM, stored in flash after the code (VMA 0x20000000, LMA 0x08020020).
            new ElfSegment(0x08020020, InitialisedData, VirtualAddress: 0x20000000, MemorySize: 0x48),
            // .bss: no bytes in the file.
            new ElfSegment(0x20000100, [], MemorySize: 0x400),
        ]);

        FirmwareSource source = FirmwareSource.FromElf(elf);

        Assert.Equal(0x08020000u, source.LoadAddress);
        Assert.True(source.HasLoadAddressFromFile);
        Assert.Equal(0x080200C1u, source.EntryPoint);
        Assert.Equal([.. Vectors, .. Enumerable.Repeat((byte)0xFF, 16), .. InitialisedData], source.Data.ToArray());
    }

    [Fact]
    public void Segments_are_placed_by_address_not_by_their_order_in_the_file()
    {
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020010, [2, 2]), new ElfSegment(0x08020000, [1, 1])]);
        FirmwareSource source = FirmwareSource.FromElf(elf);
        Assert.Equal(0x08020000u, source.LoadAddress);
        Assert.Equal([1, 1, .. Enumerable.Repeat((byte)0xFF, 14), 2, 2], source.Data.ToArray());
    }

    [Fact]
    public void Program_headers_other_than_PT_LOAD_are_ignored()
    {
        // PT_NOTE (4) and PT_ARM_EXIDX (0x70000001) are not flash contents.
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020000, Vectors), new ElfSegment(0x09000000, [9], Type: 4), new ElfSegment(0x0A000000, [9], Type: 0x70000001)]);
        Assert.Equal(Vectors, FirmwareSource.FromElf(elf).Data.ToArray());
    }

    [Fact]
    public void The_load_address_starts_the_load_region()
    {
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020000, Vectors)]);
        Assert.Equal(0x08020000u, FirmwareSource.FromElf(elf, 0x08020000).LoadAddress);
        ElfFormatException e = Fails(elf, 0x08040000);
        Assert.Equal(ElfError.SegmentOutsideLoadRegion, e.Error);
        Assert.Contains("0x08040000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public void Initialised_data_left_at_its_RAM_address_is_outside_the_load_region()
    {
        // A linker script without AT> for .data: its physical address is in RAM, which no image can write.
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020000, Vectors), new ElfSegment(0x20000000, InitialisedData)]);
        ElfFormatException e = Fails(elf);
        Assert.Equal(ElfError.SegmentOutsideLoadRegion, e.Error);
        Assert.Contains("segment 1 (physical 0x20000000", e.Message, StringComparison.Ordinal);
        Assert.Contains("AT>", e.Message, StringComparison.Ordinal);
        Assert.Equal(52 + 32, e.Offset);
    }

    [Fact]
    public void Overlapping_segments_are_refused()
    {
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020000, Vectors), new ElfSegment(0x08020008, [1, 2, 3])]);
        ElfFormatException e = Fails(elf);
        Assert.Equal(ElfError.OverlappingSegments, e.Error);
        Assert.Contains("segment 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("segment 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_elf64_file_is_refused_as_such()
    {
        ElfFormatException e = Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], elfClass: 2));
        Assert.Equal(ElfError.NotElf32, e.Error);
        Assert.Contains("ELF64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_big_endian_file_is_refused_as_such()
    {
        ElfFormatException e = Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], data: 2));
        Assert.Equal(ElfError.NotLittleEndian, e.Error);
        Assert.Contains("big-endian", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, ElfError.NotExecutable, "relocatable object")]
    [InlineData(3, ElfError.NotExecutable, "shared object")]
    public void A_file_that_is_not_a_linked_executable_is_refused(ushort type, ElfError error, string words)
    {
        ElfFormatException e = Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], type: type));
        Assert.Equal(error, e.Error);
        Assert.Contains(words, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_for_another_machine_is_refused()
    {
        ElfFormatException e = Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], machine: 243));
        Assert.Equal(ElfError.NotArm, e.Error);
        Assert.Contains("RISC-V", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_fields_no_elf32_file_has_are_refused()
    {
        Assert.Equal(ElfError.BadHeader, Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], phentsize: 56)).Error);
        Assert.Equal(ElfError.BadHeader, Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], elfClass: 3)).Error);
        Assert.Equal(ElfError.BadHeader, Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)], phnum: 0xFFFF)).Error);
    }

    [Fact]
    public void A_file_without_loadable_bytes_is_refused()
    {
        Assert.Equal(ElfError.NoLoadableData, Fails(ElfWriter.Write([new ElfSegment(0x20000000, [], MemorySize: 64)])).Error);
        Assert.Equal(ElfError.NoLoadableData, Fails(ElfWriter.Write([])).Error);
    }

    [Fact]
    public void A_segment_with_more_file_bytes_than_memory_is_refused()
    {
        Assert.Equal(ElfError.BadSegment, Fails(ElfWriter.Write([new ElfSegment(0x08020000, Vectors, MemorySize: 4)])).Error);
    }

    [Fact]
    public void Every_truncation_of_a_good_file_is_a_typed_error()
    {
        byte[] elf = ElfWriter.Write([new ElfSegment(0x08020000, Vectors), new ElfSegment(0x08020020, InitialisedData)]);
        for (int length = 0; length < elf.Length; length++)
        {
            ElfFormatException e = Fails(elf[..length]);
            Assert.True(e.Error is ElfError.Truncated or ElfError.NotElf, $"{length} bytes: {e.Error}");
        }
    }

    [Fact]
    public void Random_corruption_of_a_good_file_never_escapes_as_another_exception()
    {
        byte[] good = ElfWriter.Write([new ElfSegment(0x08020000, Vectors), new ElfSegment(0x08020020, InitialisedData, VirtualAddress: 0x20000000)]);
        var random = new Random(1308);
        for (int i = 0; i < 5000; i++)
        {
            byte[] elf = (byte[])good.Clone();
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                elf[random.Next(8, 52 + 64)] ^= (byte)(1 << random.Next(8));
            try
            {
                FirmwareSource.FromElf(elf);
            }
            catch (ElfFormatException)
            {
            }
        }
    }

    [Fact]
    public void A_file_without_the_magic_is_not_elf()
    {
        Assert.Equal(ElfError.NotElf, Fails([0x7F, 0x45, 0x4C, 0x47, 1, 1, 1]).Error);
    }

    [Fact]
    public async Task An_elf_file_builds_the_same_image_as_its_binary()
    {
        FirmwareSource elf = FirmwareSource.FromElf(ElfWriter.Write([new ElfSegment(0x08020000, Vectors)]));
        FirmwareSource bin = FirmwareSource.FromBinary(Vectors, 0x08020000);
        ImageSettings settings = ImageFactory.Settings();
        settings.LoadAddress = null;
        FirmwareImage fromElf = await new ImageBuilder(settings).BuildAsync(elf, Crc32ImageAuthenticator.Instance);
        FirmwareImage fromBin = await new ImageBuilder(settings).BuildAsync(bin, Crc32ImageAuthenticator.Instance);
        Assert.Equal(fromBin.ToArray(), fromElf.ToArray());
    }
}

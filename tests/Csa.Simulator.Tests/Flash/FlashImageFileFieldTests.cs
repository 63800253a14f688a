using System.Buffers.Binary;
using Csa.DataLink;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

/// <summary>
/// Every field of a flash state file is checked even when its CRC is right (a file edited by hand, or written by
/// other code, re-sealed with a fresh CRC): a value the format cannot hold is a <see cref="FlashImageFileException"/>
/// naming the field, never an OverflowException or another runtime error (issue 13 item 10).
/// </summary>
[Trait("Requirement", "REQ-RECOVER")]
public sealed class FlashImageFileFieldTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csa-flash-fields-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The file layout of docs/device-model.md: offsets of each section for <paramref name="g"/>.</summary>
    private static (int Wrp, int EraseCycles, int MainEcc, int OtpEcc) Offsets(FlashGeometry g)
    {
        int wrp = 14 + g.Name.Length + 4 + g.Size + 4 + g.OtpSize + FlashGeometry.UniqueIdSize + 4;
        int cycles = wrp + ((g.Sectors.Count + 7) / 8);
        int mainEcc = cycles + (4 * g.Sectors.Count);
        int otpEcc = mainEcc + ((g.Size / 8) + 7) / 8;
        return (wrp, cycles, mainEcc, otpEcc);
    }

    private byte[] Valid(FlashGeometry geometry)
    {
        string path = Path.Combine(_dir, "good.flash");
        FlashImageFile.Save(Create(geometry), path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Writes <paramref name="image"/> with its CRC recomputed, so only the field's value is wrong.</summary>
    private FlashImageFileException LoadResealed(byte[] image)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), Crc32Mpeg2.Compute(image.AsSpan(0, image.Length - 4)));
        string path = Path.Combine(_dir, "edited.flash");
        File.WriteAllBytes(path, image);
        return Assert.Throws<FlashImageFileException>(() => FlashImageFile.Load(path));
    }

    [Theory]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public void An_erase_counter_above_int_max_is_a_corrupt_file_not_an_overflow(uint cycles)
    {
        FlashGeometry g = FlashGeometry.Stm32F4_512K;
        byte[] image = Valid(g);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(Offsets(g).EraseCycles + (4 * 3)), cycles);
        FlashImageFileException e = LoadResealed(image);
        Assert.Equal(FlashImageFileError.Corrupt, e.Error);
        Assert.Contains("erase counter of sector 3", e.Message, StringComparison.Ordinal);
        Assert.Contains(cycles.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_largest_erase_counter_loads()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_512K;
        byte[] image = Valid(g);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(Offsets(g).EraseCycles), int.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), Crc32Mpeg2.Compute(image.AsSpan(0, image.Length - 4)));
        string path = Path.Combine(_dir, "max.flash");
        File.WriteAllBytes(path, image);
        Assert.Equal(int.MaxValue, FlashImageFile.Load(path).GetEraseCycles(0));
    }

    [Fact]
    public void A_read_out_protection_level_above_2_is_corrupt()
    {
        byte[] image = Valid(FlashGeometry.Stm32F4_512K);
        image[11] = 3;
        FlashImageFileException e = LoadResealed(image);
        Assert.Equal(FlashImageFileError.Corrupt, e.Error);
        Assert.Contains("read-out protection", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_family_byte_that_contradicts_the_geometry_is_corrupt()
    {
        byte[] image = Valid(FlashGeometry.Stm32F4_512K);
        image[10] = 7;
        Assert.Contains("family byte 7", LoadResealed(image).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bits_set_past_the_end_of_a_bitmap_are_corrupt()
    {
        // The F4 1M has 12 sectors: the write-protection bitmap's second byte has 4 padding bits.
        FlashGeometry g = FlashGeometry.Stm32F4_1M;
        Assert.NotEqual(0, g.Sectors.Count % 8);
        byte[] image = Valid(g);
        image[Offsets(g).Wrp + (g.Sectors.Count / 8)] |= 0x80;
        FlashImageFileException e = LoadResealed(image);
        Assert.Equal(FlashImageFileError.Corrupt, e.Error);
        Assert.Contains("write protection bitmap", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ecc_broken_double_words_on_a_flash_without_ecc_are_corrupt()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_512K;
        byte[] image = Valid(g);
        image[Offsets(g).MainEcc + 5] = 0x01;
        FlashImageFileException e = LoadResealed(image);
        Assert.Equal(FlashImageFileError.Corrupt, e.Error);
        Assert.Contains("no ECC", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_geometry_name_that_is_not_utf8_is_an_unknown_geometry()
    {
        byte[] image = Valid(FlashGeometry.Stm32F4_512K);
        image[14] = 0xFF;
        Assert.Equal(FlashImageFileError.UnknownGeometry, LoadResealed(image).Error);
    }

    [Fact]
    public void Random_field_values_under_a_valid_crc_raise_only_FlashImageFileException()
    {
        FlashGeometry g = FlashGeometry.Stm32L4_256K;
        byte[] good = Valid(g);
        (int wrp, _, _, _) = Offsets(g);
        int[] header = [.. Enumerable.Range(8, 6 + g.Name.Length + 4)];
        int[] tail = [.. Enumerable.Range(wrp - 4 - FlashGeometry.UniqueIdSize, good.Length - 4 - (wrp - 4 - FlashGeometry.UniqueIdSize))];
        var random = new Random(1310);
        for (int round = 0; round < 400; round++)
        {
            byte[] image = (byte[])good.Clone();
            int[] fields = round % 2 == 0 ? header : tail;
            for (int n = random.Next(1, 4); n > 0; n--)
                image[fields[random.Next(fields.Length)]] = (byte)random.Next(256);
            BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), Crc32Mpeg2.Compute(image.AsSpan(0, image.Length - 4)));
            string path = Path.Combine(_dir, "random.flash");
            File.WriteAllBytes(path, image);
            try
            {
                FlashImageFile.Load(path);
            }
            catch (FlashImageFileException)
            {
            }
        }
    }
}

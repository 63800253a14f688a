using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

public sealed class IntelHexTests
{
    // Written as an STM32 toolchain (arm-none-eabi-objcopy -O ihex) writes it: an extended linear address
    // record, data records, a start linear address record, the end-of-file record.
    private const string Good =
        ":020000040802F0\n" +
        ":1000000000800020C1000208C9000208CB000208DD\n" +
        ":08001000CD000208CF00020838\n" +
        ":04001C00D100020805\n" +
        ":04000005080200C12C\n" +
        ":00000001FF\n";

    private static IntelHexFormatException Fails(string text) => Assert.Throws<IntelHexFormatException>(() => FirmwareSource.FromIntelHex(text));

    [Fact]
    public void A_toolchain_file_gives_its_bytes_its_load_address_and_entry_point_with_gaps_erased()
    {
        FirmwareSource source = FirmwareSource.FromIntelHex(Good);

        Assert.Equal(0x08020000u, source.LoadAddress);
        Assert.True(source.HasLoadAddressFromFile);
        Assert.Equal(0x080200C1u, source.EntryPoint);
        Assert.Equal(32, source.Data.Length);
        Assert.Equal(Convert.FromHexString("00800020C1000208C9000208CB000208CD000208CF000208FFFFFFFFD1000208"), source.Data.ToArray());
    }

    [Fact]
    public void Crlf_line_ends_lower_case_digits_and_blank_lines_are_read()
    {
        string text = Good.ToLowerInvariant().Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n\r\n";
        Assert.Equal(FirmwareSource.FromIntelHex(Good).Data.ToArray(), FirmwareSource.FromIntelHex(text).Data.ToArray());
    }

    [Fact]
    public void Segment_addressing_and_start_segment_address_records_are_read()
    {
        // Segment 0x1000 -> base 0x10000; CS:IP 0x1000:0x0010 -> 0x10010.
        string text = ":020000021000EC\n:0400000001020304F2\n:0400000310000010D9\n:00000001FF\n";
        FirmwareSource source = FirmwareSource.FromIntelHex(text);
        Assert.Equal(0x10000u, source.LoadAddress);
        Assert.Equal(0x10010u, source.EntryPoint);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, source.Data.ToArray());
    }

    [Fact]
    public void Segment_mode_wraps_within_the_64k_segment_as_the_intel_specification_says()
    {
        // 4 bytes at offset 0xFFFE of segment 0: two land at 0xFFFE, two wrap to 0x0000.
        string text = ":020000020000FC\n:04FFFE00AABBCCDDF1\n:00000001FF\n";
        FirmwareSource source = FirmwareSource.FromIntelHex(text);
        Assert.Equal(0u, source.LoadAddress);
        Assert.Equal(0x10000, source.Data.Length);
        Assert.Equal(0xCC, source.Data.Span[0]);
        Assert.Equal(0xDD, source.Data.Span[1]);
        Assert.Equal(0xFF, source.Data.Span[2]);
        Assert.Equal(0xAA, source.Data.Span[0xFFFE]);
        Assert.Equal(0xBB, source.Data.Span[0xFFFF]);
    }

    [Fact]
    public void A_bad_checksum_names_its_line()
    {
        IntelHexFormatException e = Fails(Good.Replace(":08001000CD000208CF00020838", ":08001000CD000208CF00020839", StringComparison.Ordinal));
        Assert.Equal(IntelHexError.BadChecksum, e.Error);
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_record_type_names_its_line()
    {
        IntelHexFormatException e = Fails(":020000040802F0\n:00000006FA\n:00000001FF\n");
        Assert.Equal(IntelHexError.UnknownRecordType, e.Error);
        Assert.Equal(2, e.LineNumber);
    }

    [Fact]
    public void Overlapping_records_are_refused_at_the_later_line()
    {
        string text = ":020000040802F0\n:0400000001020304F2\n:0400080001020304EA\n:0400020001020304F0\n:00000001FF\n";
        IntelHexFormatException e = Fails(text);
        Assert.Equal(IntelHexError.OverlappingData, e.Error);
        Assert.Equal(4, e.LineNumber);
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_written_twice_is_overlapping()
    {
        IntelHexFormatException e = Fails(":0400000001020304F2\n:0400000001020304F2\n:00000001FF\n");
        Assert.Equal(IntelHexError.OverlappingData, e.Error);
        Assert.Equal(2, e.LineNumber);
    }

    [Fact]
    public void A_missing_end_of_file_record_is_refused_at_the_last_line()
    {
        IntelHexFormatException e = Fails(":020000040802F0\n:0400000001020304F2\n");
        Assert.Equal(IntelHexError.MissingEndOfFile, e.Error);
        Assert.Equal(2, e.LineNumber);
    }

    [Fact]
    public void A_record_after_the_end_of_file_is_refused()
    {
        IntelHexFormatException e = Fails(":0400000001020304F2\n:00000001FF\n:0400040001020304EE\n");
        Assert.Equal(IntelHexError.DataAfterEndOfFile, e.Error);
        Assert.Equal(3, e.LineNumber);
    }

    [Theory]
    [InlineData("0400000001020304F2", IntelHexError.MissingStartCode)]
    [InlineData(":0400000001020304F", IntelHexError.BadHexDigit)]
    [InlineData(":04000000010203G4F2", IntelHexError.BadHexDigit)]
    [InlineData(":0500000001020304F2", IntelHexError.BadRecordLength)]
    [InlineData(":00000001", IntelHexError.BadRecordLength)]
    [InlineData(":0100000100FE", IntelHexError.BadRecordLength)]
    [InlineData(":03000004080200EF", IntelHexError.BadRecordLength)]
    public void A_malformed_line_is_refused_with_its_error(string line, IntelHexError expected)
    {
        IntelHexFormatException e = Fails(line + "\n:00000001FF\n");
        Assert.Equal(expected, e.Error);
        Assert.Equal(1, e.LineNumber);
    }

    [Fact]
    public void A_file_without_data_is_refused()
    {
        Assert.Equal(IntelHexError.NoData, Fails(":020000040802F0\n:00000001FF\n").Error);
    }

    [Fact]
    public void Data_spread_wider_than_the_largest_payload_is_refused()
    {
        // 0x08000000 and 0x08400000: 4 MiB apart.
        string text = ":020000040800F2\n:0100000001FE\n:020000040840B2\n:0100000001FE\n:00000001FF\n";
        Assert.Equal(IntelHexError.SpanTooLarge, Fails(text).Error);
    }

    [Fact]
    public void Conflicting_start_addresses_are_refused()
    {
        IntelHexFormatException e = Fails(":0400000001020304F2\n:04000005080200C12C\n:04000005080200C32A\n:00000001FF\n");
        Assert.Equal(IntelHexError.ConflictingStartAddress, e.Error);
        Assert.Equal(3, e.LineNumber);
    }

    [Fact]
    public async Task A_hex_file_builds_the_same_image_as_its_binary()
    {
        FirmwareSource hex = FirmwareSource.FromIntelHex(Good);
        FirmwareSource bin = FirmwareSource.FromBinary(hex.Data.ToArray(), 0x08020000);
        ImageSettings settings = ImageFactory.Settings();
        settings.LoadAddress = null;

        FirmwareImage fromHex = await new ImageBuilder(settings).BuildAsync(hex, Crc32ImageAuthenticator.Instance);
        FirmwareImage fromBin = await new ImageBuilder(settings).BuildAsync(bin, Crc32ImageAuthenticator.Instance);

        Assert.Equal(0x08020000u, fromHex.Manifest.LoadAddress);
        Assert.Equal(fromBin.ToArray(), fromHex.ToArray());
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task A_hex_file_linked_elsewhere_than_the_settings_say_is_refused()
    {
        ImageSettings settings = ImageFactory.Settings();
        settings.LoadAddress = 0x08040000;
        await Assert.ThrowsAsync<ArgumentException>(() => new ImageBuilder(settings).BuildAsync(FirmwareSource.FromIntelHex(Good), Crc32ImageAuthenticator.Instance));
    }

    [Fact]
    public async Task Files_are_read_by_extension()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"csa-hex-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "app.hex"), Good);
            await File.WriteAllBytesAsync(Path.Combine(dir, "app.bin"), [1, 2, 3]);
            Assert.Equal(0x08020000u, (await FirmwareSource.ReadFileAsync(Path.Combine(dir, "app.hex"))).LoadAddress);
            Assert.Equal(0x08000000u, (await FirmwareSource.ReadFileAsync(Path.Combine(dir, "app.bin"), 0x08000000)).LoadAddress);
            await Assert.ThrowsAsync<ArgumentException>(() => FirmwareSource.ReadFileAsync(Path.Combine(dir, "app.bin")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

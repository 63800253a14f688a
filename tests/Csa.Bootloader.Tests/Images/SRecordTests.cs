using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>Motorola S-record input (docs/image-format.md section 7): read like Intel HEX, every malformation a typed error with its line.</summary>
[Trait("Requirement", "REQ-AUTH-FW")]
public sealed class SRecordTests
{
    // The 32-byte head of a Cortex-M vector table at 0x08020000, as in IntelHexTests, with a gap at 0x18..0x1B.
    private static readonly byte[] Head = Convert.FromHexString("00800020C1000208C9000208CB000208CD000208CF000208");
    private static readonly byte[] Tail = Convert.FromHexString("D1000208");

    // Written as `arm-none-eabi-objcopy -O srec` writes it (S0 header, S3 data, S7 start), plus an S5 count.
    private static readonly string Good =
        SRecordWriter.Record(0, 0, "firmware.srec"u8) + "\n" +
        SRecordWriter.Record(3, 0x08020000, Head.AsSpan(0, 16)) + "\n" +
        SRecordWriter.Record(3, 0x08020010, Head.AsSpan(16, 8)) + "\n" +
        SRecordWriter.Record(3, 0x0802001C, Tail) + "\n" +
        SRecordWriter.Record(5, 3) + "\n" +
        SRecordWriter.Record(7, 0x080200C1) + "\n";

    private static SRecordFormatException Fails(string text) => Assert.Throws<SRecordFormatException>(() => FirmwareSource.FromSRecord(text));

    [Fact]
    public void The_writer_produces_the_records_objcopy_writes()
    {
        // Lines of `arm-none-eabi-objcopy -O srec` output for tests/Csa.Cli.Tests/TestData/images/firmware.elf.
        Assert.Equal("S3150802000000800020C1000208C9000208CB000208CD", SRecordWriter.Record(3, 0x08020000, Convert.FromHexString("00800020C1000208C9000208CB000208")));
        Assert.Equal("S705080200C12F", SRecordWriter.Record(7, 0x080200C1));
    }

    [Fact]
    public void A_toolchain_file_gives_its_bytes_its_load_address_and_entry_point_with_gaps_erased()
    {
        FirmwareSource source = FirmwareSource.FromSRecord(Good);

        Assert.Equal(0x08020000u, source.LoadAddress);
        Assert.True(source.HasLoadAddressFromFile);
        Assert.Equal(0x080200C1u, source.EntryPoint);
        Assert.Equal(Convert.FromHexString("00800020C1000208C9000208CB000208CD000208CF000208FFFFFFFFD1000208"), source.Data.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void S1_S2_and_S3_records_with_their_termination_records_are_read(int dataType)
    {
        uint address = dataType == 1 ? 0x2000u : dataType == 2 ? 0x082000u : 0x08020000u;
        byte[] data = [.. Enumerable.Range(0, 40).Select(i => (byte)i)];
        FirmwareSource source = FirmwareSource.FromSRecord(SRecordWriter.File(address, data, dataType, entry: address + 1));
        Assert.Equal(address, source.LoadAddress);
        Assert.Equal(address + 1, source.EntryPoint);
        Assert.Equal(data, source.Data.ToArray());
    }

    [Fact]
    public void Crlf_line_ends_lower_case_digits_and_blank_lines_are_read()
    {
        string text = Good.ToLowerInvariant().Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n\r\n";
        Assert.Equal(FirmwareSource.FromSRecord(Good).Data.ToArray(), FirmwareSource.FromSRecord(text).Data.ToArray());
    }

    [Fact]
    public void A_file_without_header_or_count_record_is_read()
    {
        string text = SRecordWriter.Record(1, 0x1000, [1, 2, 3, 4]) + "\n" + SRecordWriter.Record(9, 0) + "\n";
        FirmwareSource source = FirmwareSource.FromSRecord(text);
        Assert.Equal(0x1000u, source.LoadAddress);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, source.Data.ToArray());
    }

    [Fact]
    public void A_bad_checksum_names_its_line()
    {
        string[] lines = Good.Split('\n');
        lines[2] = lines[2][..^2] + (lines[2][^2..] == "00" ? "01" : "00");
        SRecordFormatException e = Fails(string.Join('\n', lines));
        Assert.Equal(SRecordError.BadChecksum, e.Error);
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_count_record_that_disagrees_with_the_data_records_is_refused()
    {
        SRecordFormatException e = Fails(Good.Replace(SRecordWriter.Record(5, 3), SRecordWriter.Record(5, 4), StringComparison.Ordinal));
        Assert.Equal(SRecordError.RecordCountMismatch, e.Error);
        Assert.Equal(5, e.LineNumber);
        Assert.Contains("counts 4 data records but 3 precede it", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_S6_count_is_checked_too()
    {
        string text = SRecordWriter.Record(3, 0x08020000, [1]) + "\n" + SRecordWriter.Record(6, 2) + "\n" + SRecordWriter.Record(7, 0) + "\n";
        Assert.Equal(SRecordError.RecordCountMismatch, Fails(text).Error);
    }

    [Fact]
    public void A_header_after_data_is_refused()
    {
        string text = SRecordWriter.Record(3, 0x08020000, [1]) + "\n" + SRecordWriter.Record(0, 0, "x"u8) + "\n" + SRecordWriter.Record(7, 0) + "\n";
        SRecordFormatException e = Fails(text);
        Assert.Equal(SRecordError.MisplacedHeader, e.Error);
        Assert.Equal(2, e.LineNumber);
    }

    [Fact]
    public void A_missing_termination_record_is_refused_at_the_last_line()
    {
        string text = SRecordWriter.Record(0, 0) + "\n" + SRecordWriter.Record(3, 0x08020000, [1, 2]) + "\n";
        SRecordFormatException e = Fails(text);
        Assert.Equal(SRecordError.MissingTermination, e.Error);
        Assert.Equal(2, e.LineNumber);
    }

    [Fact]
    public void A_record_after_the_termination_is_refused()
    {
        SRecordFormatException e = Fails(Good + SRecordWriter.Record(3, 0x08020100, [1]) + "\n");
        Assert.Equal(SRecordError.DataAfterTermination, e.Error);
        Assert.Equal(7, e.LineNumber);
    }

    [Fact]
    public void Overlapping_records_are_refused_at_the_later_line()
    {
        string text = SRecordWriter.Record(3, 0x08020000, new byte[8]) + "\n" + SRecordWriter.Record(3, 0x08020010, new byte[4]) + "\n" +
            SRecordWriter.Record(3, 0x08020004, new byte[4]) + "\n" + SRecordWriter.Record(7, 0) + "\n";
        SRecordFormatException e = Fails(text);
        Assert.Equal(SRecordError.OverlappingData, e.Error);
        Assert.Equal(3, e.LineNumber);
        Assert.Contains("line 1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X3050802000001", SRecordError.MissingStartCode)]
    [InlineData("S", SRecordError.UnknownRecordType)]
    [InlineData("SX050802000001", SRecordError.UnknownRecordType)]
    [InlineData("S40500000000FA", SRecordError.UnknownRecordType)]
    [InlineData("S305080200000", SRecordError.BadHexDigit)]
    [InlineData("S3050802G00001", SRecordError.BadHexDigit)]
    [InlineData("S30608020000F1", SRecordError.BadRecordLength)]
    [InlineData("S3", SRecordError.BadRecordLength)]
    [InlineData("S30208F5", SRecordError.BadRecordLength)]
    public void A_malformed_line_is_refused_with_its_error(string line, SRecordError expected)
    {
        SRecordFormatException e = Fails(line + "\n" + SRecordWriter.Record(7, 0) + "\n");
        Assert.Equal(expected, e.Error);
        Assert.Equal(1, e.LineNumber);
    }

    [Fact]
    public void A_termination_or_count_record_with_data_is_refused()
    {
        string text = SRecordWriter.Record(3, 0x08020000, [1]) + "\n" + SRecordWriter.Record(7, 0, [1]) + "\n";
        Assert.Equal(SRecordError.BadRecordLength, Fails(text).Error);
    }

    [Fact]
    public void A_file_without_data_is_refused()
    {
        Assert.Equal(SRecordError.NoData, Fails(SRecordWriter.Record(0, 0) + "\n" + SRecordWriter.Record(7, 0) + "\n").Error);
    }

    [Fact]
    public void Data_spread_wider_than_the_largest_payload_is_refused()
    {
        string text = SRecordWriter.Record(3, 0x08000000, [1]) + "\n" + SRecordWriter.Record(3, 0x08400000, [1]) + "\n" + SRecordWriter.Record(7, 0) + "\n";
        Assert.Equal(SRecordError.SpanTooLarge, Fails(text).Error);
    }

    [Fact]
    public void A_record_running_past_4_GiB_is_refused()
    {
        string text = SRecordWriter.Record(3, 0xFFFFFFFE, [1, 2, 3, 4]) + "\n" + SRecordWriter.Record(7, 0) + "\n";
        Assert.Equal(SRecordError.SpanTooLarge, Fails(text).Error);
    }

    [Fact]
    public async Task An_s_record_file_builds_the_same_image_as_its_binary()
    {
        FirmwareSource srec = FirmwareSource.FromSRecord(Good);
        FirmwareSource bin = FirmwareSource.FromBinary(srec.Data.ToArray(), 0x08020000);
        ImageSettings settings = ImageFactory.Settings();
        settings.LoadAddress = null;
        FirmwareImage fromSrec = await new ImageBuilder(settings).BuildAsync(srec, Crc32ImageAuthenticator.Instance);
        FirmwareImage fromBin = await new ImageBuilder(settings).BuildAsync(bin, Crc32ImageAuthenticator.Instance);
        Assert.Equal(fromBin.ToArray(), fromSrec.ToArray());
    }
}

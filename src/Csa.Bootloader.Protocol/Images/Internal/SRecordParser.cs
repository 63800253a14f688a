using System.Globalization;

namespace Csa.Bootloader.Images.Internal;

/// <summary>
/// Motorola S-record reader (S19/S28/S37, as <c>objcopy -O srec</c> and srec_cat write them): S0 header (first
/// record only), S1/S2/S3 data with 16/24/32-bit addresses, S5/S6 record counts (checked against the data
/// records before them), S7/S8/S9 termination with the start address (required, nothing may follow). Every
/// checksum is verified; overlapping data is refused; gaps are filled with 0xFF.
/// </summary>
internal static class SRecordParser
{
    // The byte count field counts address, data and checksum bytes: at most 255.
    private const int MaxRecordBytes = 1 + 255;

    public static LoadedFirmware Parse(string text, int maxSpan)
    {
        var runs = new AddressRuns();
        uint? entryPoint = null;
        int dataRecords = 0;
        int records = 0;
        int terminationLine = 0;
        int lineNumber = 0;
        int lastRecordLine = 0;
        Span<byte> record = stackalloc byte[MaxRecordBytes];

        foreach (ReadOnlySpan<char> rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine.Trim();
            if (line.IsEmpty)
                continue;
            lastRecordLine = lineNumber;
            records++;
            if (terminationLine != 0)
                throw new SRecordFormatException(SRecordError.DataAfterTermination, lineNumber,
                    $"a record follows the termination record on line {terminationLine}");
            if (line[0] is not ('S' or 's'))
                throw new SRecordFormatException(SRecordError.MissingStartCode, lineNumber,
                    $"the line starts with '{line[0]}' instead of 'S'");
            if (line.Length < 2 || !char.IsAsciiDigit(line[1]))
                throw new SRecordFormatException(SRecordError.UnknownRecordType, lineNumber,
                    line.Length < 2 ? "the line ends after 'S' without a record type" : $"record type '{line[1]}' is not a digit 0-9");
            int type = line[1] - '0';
            ReadOnlySpan<char> hex = line[2..];
            if (hex.Length % 2 != 0)
                throw new SRecordFormatException(SRecordError.BadHexDigit, lineNumber, $"the record has an odd number ({hex.Length}) of hex digits");
            int length = hex.Length / 2;
            if (length > record.Length)
                throw new SRecordFormatException(SRecordError.BadRecordLength, lineNumber, $"the record is {length} bytes; the longest record is {MaxRecordBytes}");
            for (int i = 0; i < length; i++)
            {
                if (!byte.TryParse(hex.Slice(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out record[i]))
                    throw new SRecordFormatException(SRecordError.BadHexDigit, lineNumber, $"'{hex.Slice(2 * i, 2)}' at column {3 + (2 * i)} is not a hex byte");
            }
            if (length == 0)
                throw new SRecordFormatException(SRecordError.BadRecordLength, lineNumber, "the record has no byte count");
            ReadOnlySpan<byte> bytes = record[..length];
            int count = bytes[0];
            if (length != count + 1)
                throw new SRecordFormatException(SRecordError.BadRecordLength, lineNumber,
                    $"the byte count field says {count} bytes follow but the line holds {length - 1}");
            int addressLength = type switch
            {
                0 or 1 or 5 or 9 => 2,
                2 or 6 or 8 => 3,
                3 or 7 => 4,
                _ => throw new SRecordFormatException(SRecordError.UnknownRecordType, lineNumber, "record type S4 is reserved and not used"),
            };
            if (count < addressLength + 1)
                throw new SRecordFormatException(SRecordError.BadRecordLength, lineNumber,
                    $"an S{type} record holds a {addressLength}-byte address and a checksum, at least {addressLength + 1} bytes, not {count}");
            byte sum = 0;
            foreach (byte b in bytes[..^1])
                sum += b;
            byte expected = (byte)~sum;
            if (bytes[^1] != expected)
                throw new SRecordFormatException(SRecordError.BadChecksum, lineNumber,
                    $"the checksum byte is 0x{bytes[^1]:X2} but should be 0x{expected:X2}");
            uint address = 0;
            foreach (byte b in bytes.Slice(1, addressLength))
                address = (address << 8) | b;
            ReadOnlySpan<byte> data = bytes[(1 + addressLength)..^1];

            switch (type)
            {
                case 0:
                    if (records != 1)
                        throw new SRecordFormatException(SRecordError.MisplacedHeader, lineNumber, "an S0 header record may only be the first record");
                    break;
                case 1 or 2 or 3:
                    dataRecords++;
                    AddData(runs, address, data, lineNumber);
                    break;
                case 5 or 6:
                    RequireNoData(data, type, lineNumber);
                    if (address != (uint)dataRecords)
                        throw new SRecordFormatException(SRecordError.RecordCountMismatch, lineNumber,
                            $"the S{type} record counts {address} data records but {dataRecords} precede it");
                    break;
                default: // 7, 8, 9
                    RequireNoData(data, type, lineNumber);
                    entryPoint = address;
                    terminationLine = lineNumber;
                    break;
            }
        }

        if (terminationLine == 0)
            throw new SRecordFormatException(SRecordError.MissingTermination, lastRecordLine,
                "the file ends without a termination record (S7, S8 or S9)");
        if (runs.Count == 0)
            throw new SRecordFormatException(SRecordError.NoData, 0, "the file holds no data records");
        return runs.AssembleLines(maxSpan, entryPoint,
            (line, message) => new SRecordFormatException(SRecordError.OverlappingData, line, message),
            (line, message) => new SRecordFormatException(SRecordError.SpanTooLarge, line, message));
    }

    private static void AddData(AddressRuns runs, uint address, ReadOnlySpan<byte> data, int line)
    {
        if (data.IsEmpty)
            return;
        if ((ulong)address + (ulong)data.Length > 0x1_0000_0000UL)
            throw new SRecordFormatException(SRecordError.SpanTooLarge, line,
                $"the record at 0x{address:X8} runs past the end of the 32-bit address space");
        runs.Add(address, data.ToArray(), line);
    }

    private static void RequireNoData(ReadOnlySpan<byte> data, int type, int line)
    {
        if (!data.IsEmpty)
            throw new SRecordFormatException(SRecordError.BadRecordLength, line,
                $"an S{type} record carries no data bytes, but this one has {data.Length}");
    }
}

using System.Globalization;

namespace Csa.Bootloader.Images.Internal;

/// <summary>
/// Intel HEX (I8HEX/I16HEX/I32HEX) reader: record types 00 data, 01 end of file, 02 extended segment
/// address, 03 start segment address, 04 extended linear address, 05 start linear address. Addresses follow
/// the Intel specification: in segment mode a record's offset wraps within its 64 KiB segment, in linear
/// mode it does not.
/// </summary>
internal static class IntelHexParser
{
    public static LoadedFirmware Parse(string text, int maxSpan)
    {
        var runs = new AddressRuns();
        uint segmentBase = 0;
        uint linearBase = 0;
        bool segmentMode = false;
        uint? entryPoint = null;
        int entryLine = 0;
        int endLine = 0;
        int lineNumber = 0;
        int lastRecordLine = 0;
        Span<byte> record = stackalloc byte[260];

        foreach (ReadOnlySpan<char> rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            ReadOnlySpan<char> line = rawLine.Trim();
            if (line.IsEmpty)
                continue;
            lastRecordLine = lineNumber;
            if (endLine != 0)
                throw new IntelHexFormatException(IntelHexError.DataAfterEndOfFile, lineNumber,
                    $"a record follows the end-of-file record on line {endLine}");
            if (line[0] != ':')
                throw new IntelHexFormatException(IntelHexError.MissingStartCode, lineNumber,
                    $"the line starts with '{line[0]}' instead of ':'");
            ReadOnlySpan<char> hex = line[1..];
            if (hex.Length % 2 != 0)
                throw new IntelHexFormatException(IntelHexError.BadHexDigit, lineNumber, $"the line has an odd number ({hex.Length}) of hex digits");
            if (hex.Length < 10)
                throw new IntelHexFormatException(IntelHexError.BadRecordLength, lineNumber, $"the record is {hex.Length / 2} bytes; the shortest record is 5");
            if (hex.Length / 2 > record.Length)
                throw new IntelHexFormatException(IntelHexError.BadRecordLength, lineNumber, $"the record is {hex.Length / 2} bytes; the longest record is 260");
            int length = hex.Length / 2;
            for (int i = 0; i < length; i++)
            {
                if (!byte.TryParse(hex.Slice(2 * i, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out record[i]))
                    throw new IntelHexFormatException(IntelHexError.BadHexDigit, lineNumber, $"'{hex.Slice(2 * i, 2)}' at column {2 + (2 * i)} is not a hex byte");
            }
            ReadOnlySpan<byte> bytes = record[..length];
            int count = bytes[0];
            if (length != count + 5)
                throw new IntelHexFormatException(IntelHexError.BadRecordLength, lineNumber,
                    $"the byte count field says {count} data bytes but the line holds {length - 5}");
            byte sum = 0;
            foreach (byte b in bytes)
                sum += b;
            if (sum != 0)
                throw new IntelHexFormatException(IntelHexError.BadChecksum, lineNumber,
                    $"the checksum byte is 0x{bytes[^1]:X2} but should be 0x{(byte)(bytes[^1] - sum):X2}");
            ushort offset = (ushort)((bytes[1] << 8) | bytes[2]);
            byte type = bytes[3];
            ReadOnlySpan<byte> data = bytes.Slice(4, count);
            switch (type)
            {
                case 0x00:
                    AddData(runs, segmentMode, segmentMode ? segmentBase : linearBase, offset, data, lineNumber);
                    break;
                case 0x01:
                    RequireCount(count, 0, type, lineNumber);
                    endLine = lineNumber;
                    break;
                case 0x02:
                    RequireCount(count, 2, type, lineNumber);
                    segmentBase = (uint)((data[0] << 8) | data[1]) << 4;
                    segmentMode = true;
                    break;
                case 0x03:
                    RequireCount(count, 4, type, lineNumber);
                    SetEntry(ref entryPoint, ref entryLine, ((uint)((data[0] << 8) | data[1]) << 4) + (uint)((data[2] << 8) | data[3]), lineNumber);
                    break;
                case 0x04:
                    RequireCount(count, 2, type, lineNumber);
                    linearBase = (uint)((data[0] << 8) | data[1]) << 16;
                    segmentMode = false;
                    break;
                case 0x05:
                    RequireCount(count, 4, type, lineNumber);
                    SetEntry(ref entryPoint, ref entryLine, (uint)((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]), lineNumber);
                    break;
                default:
                    throw new IntelHexFormatException(IntelHexError.UnknownRecordType, lineNumber,
                        $"record type 0x{type:X2} is not one of 00-05");
            }
        }

        if (endLine == 0)
            throw new IntelHexFormatException(IntelHexError.MissingEndOfFile, lastRecordLine,
                "the file ends without an end-of-file record (:00000001FF)");
        if (runs.Count == 0)
            throw new IntelHexFormatException(IntelHexError.NoData, 0, "the file holds no data records");
        return runs.AssembleLines(maxSpan, entryPoint,
            (line, message) => new IntelHexFormatException(IntelHexError.OverlappingData, line, message),
            (line, message) => new IntelHexFormatException(IntelHexError.SpanTooLarge, line, message));
    }

    private static void AddData(AddressRuns runs, bool segmentMode, uint baseAddress, ushort offset, ReadOnlySpan<byte> data, int line)
    {
        if (data.IsEmpty)
            return;
        if (segmentMode && offset + data.Length > 0x10000)
        {
            // Segment mode wraps within the 64 KiB segment: the tail of the record lands at the segment start.
            int first = 0x10000 - offset;
            runs.Add(baseAddress + offset, data[..first].ToArray(), line);
            runs.Add(baseAddress, data[first..].ToArray(), line);
            return;
        }
        ulong start = (ulong)baseAddress + offset;
        if (start + (ulong)data.Length > 0x1_0000_0000UL)
            throw new IntelHexFormatException(IntelHexError.SpanTooLarge, line,
                $"the record at 0x{start:X8} runs past the end of the 32-bit address space");
        runs.Add((uint)start, data.ToArray(), line);
    }

    private static void RequireCount(int count, int expected, byte type, int line)
    {
        if (count != expected)
            throw new IntelHexFormatException(IntelHexError.BadRecordLength, line,
                $"record type 0x{type:X2} carries {expected} data bytes, not {count}");
    }

    private static void SetEntry(ref uint? entryPoint, ref int entryLine, uint value, int line)
    {
        if (entryPoint is { } existing && existing != value)
            throw new IntelHexFormatException(IntelHexError.ConflictingStartAddress, line,
                $"start address 0x{value:X8} contradicts 0x{existing:X8} from line {entryLine}");
        entryPoint = value;
        entryLine = line;
    }
}

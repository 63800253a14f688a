using System.Buffers.Binary;
using System.Text;

namespace Csa.Bootloader.Tests.Images;

/// <summary>One PT_LOAD segment for <see cref="ElfWriter"/>: its bytes, physical and virtual address, memory size.</summary>
internal sealed record ElfSegment(uint PhysicalAddress, byte[] Bytes, uint? VirtualAddress = null, uint? MemorySize = null, uint Type = 1);

/// <summary>
/// Writes ELF32 files the way a linker lays them out (ELF header, program headers, then each segment's bytes), with
/// every header field settable so a test can break exactly one rule.
/// </summary>
internal static class ElfWriter
{
    public static byte[] Write(IReadOnlyList<ElfSegment> segments, uint entry = 0x080200C1, byte elfClass = 1, byte data = 1,
        ushort type = 2, ushort machine = 40, ushort phentsize = 32, ushort? phnum = null)
    {
        const int headerSize = 52;
        int phoff = headerSize;
        int dataStart = phoff + (segments.Count * 32);
        var file = new List<byte>(new byte[dataStart]);
        var offsets = new uint[segments.Count];
        for (int i = 0; i < segments.Count; i++)
        {
            offsets[i] = (uint)file.Count;
            file.AddRange(segments[i].Bytes);
        }
        byte[] bytes = [.. file];
        Span<byte> h = bytes;
        h[0] = 0x7F;
        h[1] = (byte)'E';
        h[2] = (byte)'L';
        h[3] = (byte)'F';
        h[4] = elfClass;
        h[5] = data;
        h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], machine);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], entry);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], (uint)phoff);
        BinaryPrimitives.WriteUInt16LittleEndian(h[40..], headerSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[42..], phentsize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[44..], phnum ?? (ushort)segments.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(h[46..], 40);
        for (int i = 0; i < segments.Count; i++)
        {
            ElfSegment s = segments[i];
            Span<byte> p = h.Slice(phoff + (i * 32), 32);
            BinaryPrimitives.WriteUInt32LittleEndian(p, s.Type);
            BinaryPrimitives.WriteUInt32LittleEndian(p[4..], offsets[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(p[8..], s.VirtualAddress ?? s.PhysicalAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(p[12..], s.PhysicalAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(p[16..], (uint)s.Bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(p[20..], s.MemorySize ?? (uint)s.Bytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(p[24..], 5);
            BinaryPrimitives.WriteUInt32LittleEndian(p[28..], 4);
        }
        return bytes;
    }
}

/// <summary>Writes Motorola S-records: any record type, with its byte count and checksum computed.</summary>
internal static class SRecordWriter
{
    /// <summary>One record: "S" + type + count + address + data + checksum (ones' complement of the sum's low byte).</summary>
    public static string Record(int type, uint address, ReadOnlySpan<byte> data = default)
    {
        int addressLength = type switch { 0 or 1 or 5 or 9 => 2, 2 or 6 or 8 => 3, _ => 4 };
        var bytes = new List<byte> { (byte)(addressLength + data.Length + 1) };
        for (int i = addressLength - 1; i >= 0; i--)
            bytes.Add((byte)(address >> (8 * i)));
        bytes.AddRange(data.ToArray());
        byte sum = 0;
        foreach (byte b in bytes)
            sum += b;
        bytes.Add((byte)~sum);
        return $"S{type}{Convert.ToHexString([.. bytes])}";
    }

    /// <summary>A whole file: S0 header, data records of <paramref name="dataType"/> (16 bytes each), S5 count, termination.</summary>
    public static string File(uint address, byte[] data, int dataType = 3, uint entry = 0x080200C1, bool countRecord = true)
    {
        var text = new StringBuilder();
        text.Append(Record(0, 0, "csa"u8)).Append('\n');
        int records = 0;
        for (int i = 0; i < data.Length; i += 16)
        {
            text.Append(Record(dataType, address + (uint)i, data.AsSpan(i, Math.Min(16, data.Length - i)))).Append('\n');
            records++;
        }
        if (countRecord)
            text.Append(Record(5, (uint)records)).Append('\n');
        text.Append(Record(10 - dataType, entry)).Append('\n');
        return text.ToString();
    }
}

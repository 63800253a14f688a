using System.Buffers.Binary;
using Csa.DataLink;

namespace Csa.Simulator.Memory.Internal;

/// <summary>
/// The fixed-size record slot of the state journal, little-endian:
/// magic "CSJR" (0x524A5343) u32 | sequence u32 | payload length u16 | slot size u16 | payload | 0xFF padding |
/// CRC-32/MPEG-2 of all bytes before it, u32 (the slot's last 4 bytes).
/// </summary>
internal static class JournalRecordCodec
{
    public const uint Magic = 0x524A_5343; // "CSJR" in memory order
    public const int Overhead = 16;

    public static byte[] Encode(uint sequence, ReadOnlySpan<byte> payload, int slotSize)
    {
        var slot = new byte[slotSize];
        slot.AsSpan().Fill(0xFF);
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(slot.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt16LittleEndian(slot.AsSpan(8), (ushort)payload.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(slot.AsSpan(10), (ushort)slotSize);
        payload.CopyTo(slot.AsSpan(12));
        BinaryPrimitives.WriteUInt32LittleEndian(slot.AsSpan(slotSize - 4), Crc32Mpeg2.Compute(slot.AsSpan(0, slotSize - 4)));
        return slot;
    }

    /// <summary>Decodes a slot; false for anything but a complete, intact record of this slot size.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> slot, out uint sequence, out byte[] payload)
    {
        sequence = 0;
        payload = [];
        int slotSize = slot.Length;
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic
            || BinaryPrimitives.ReadUInt16LittleEndian(slot[10..]) != slotSize
            || BinaryPrimitives.ReadUInt32LittleEndian(slot[(slotSize - 4)..]) != Crc32Mpeg2.Compute(slot[..(slotSize - 4)]))
            return false;
        int length = BinaryPrimitives.ReadUInt16LittleEndian(slot[8..]);
        if (length > slotSize - Overhead)
            return false;
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]);
        payload = slot.Slice(12, length).ToArray();
        return sequence != 0;
    }
}

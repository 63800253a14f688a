using System.Buffers.Binary;
using Csa.DataLink;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// What stands for the pre-bootloader's code in the simulator: a 32-byte record at the reset vector written by the
/// production programmer. Without it the chip has nothing to run (docs/device-model.md, section 5.1).
/// </summary>
internal static class PreBootloaderMarker
{
    /// <summary>"CSAP" little-endian.</summary>
    public const uint Magic = 0x50415343;

    public const int Size = 32;

    /// <summary>The marker: magic, format 1, the pre-bootloader version (major, minor, patch), 0xFF padding, CRC-32/MPEG-2 of bytes 0-27.</summary>
    public static byte[] Encode(byte major, byte minor, ushort patch)
    {
        var m = new byte[Size];
        m.AsSpan().Fill(0xFF);
        BinaryPrimitives.WriteUInt32LittleEndian(m, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(4), 1);
        m[6] = major;
        m[7] = minor;
        BinaryPrimitives.WriteUInt16LittleEndian(m.AsSpan(8), patch);
        BinaryPrimitives.WriteUInt32LittleEndian(m.AsSpan(28), Crc32Mpeg2.Compute(m.AsSpan(0, 28)));
        return m;
    }

    /// <summary>
    /// Reads the marker: the pre-bootloader's version, or null when the region holds none. It is looked for at the
    /// region's start (where the simulator's production programmer writes it) and then in the region's last 32 bytes
    /// (where a chip's pre-bootloader build puts it, its vector table owning the reset vector: docs/device-model.md 5.1).
    /// </summary>
    public static (byte Major, byte Minor, ushort Patch)? Read(SimulatedFlash flash, MemoryRegion region) =>
        ReadAt(flash, region.Address) ?? ReadAt(flash, region.EndAddress - Size);

    private static (byte Major, byte Minor, ushort Patch)? ReadAt(SimulatedFlash flash, uint address)
    {
        var m = new byte[Size];
        try
        {
            flash.Read(address, m);
        }
        catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
        {
            return null;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(m) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(m.AsSpan(28)) != Crc32Mpeg2.Compute(m.AsSpan(0, 28)))
            return null;
        return (m[6], m[7], BinaryPrimitives.ReadUInt16LittleEndian(m.AsSpan(8)));
    }
}

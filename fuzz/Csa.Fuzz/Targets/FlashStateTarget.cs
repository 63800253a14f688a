using System.Buffers.Binary;
using Csa.DataLink;
using Csa.Fuzz.Engine;
using Csa.Simulator.Flash;

namespace Csa.Fuzz.Targets;

/// <summary>
/// The flash state file (docs/device-model.md 1.6) that `csa sim --state` and FlashImageFile.Load read. A state file
/// holds the whole flash (256 KiB and more), so the input is a patch of a genuine one (an STM32L4 256 KiB flash with a
/// programmed page, written by FlashImageFile.Save): first byte bit 0 = recompute the CRC after patching (so patches
/// reach the checks behind it), bit 1 = cut or extend the file to the length in the next 3 bytes; then 4-byte patches
/// (selector, u16 offset, value): offset from the start (selector even) or from the end (odd). Contract:
/// FlashImageFileException only; a file that loads has the geometry and sizes its header names.
/// </summary>
internal sealed class FlashStateTarget : FuzzTarget
{
    private static readonly Lazy<byte[]> Genuine = new(() =>
    {
        var flash = new SimulatedFlash(FlashGeometry.Stm32L4_256K);
        flash.Program(FlashGeometry.Stm32L4_256K.BaseAddress + 0x800, SeedMaterial.Payload(64, 9));
        string path = Path.Combine(Path.GetTempPath(), $"csa-fuzz-flash-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        try
        {
            FlashImageFile.Save(flash, path);
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    });

    public override string Name => "flash-state";

    public override string Description => "FlashImageFile's reader on patches of a genuine 256 KiB state file (CRC optionally recomputed)";

    public override TargetSpeed Speed => TargetSpeed.Slow;

    public override int MaxInputLength => 256;

    public override IEnumerable<byte[]> Seeds()
    {
        yield return [0x01];                                    // the genuine file
        yield return [0x00, 0, 0, 0, 0, 9, 0, 7];               // the format version, CRC left stale
        yield return [0x01, 0, 0, 0, 0, 12, 0, 200];            // the geometry name's length
        yield return [0x01, 0, 0, 0, 1, 40, 0, 0xFF];           // near the end: bitmaps and erase counters
        yield return [0x03, 0x40, 0x00, 0x00];                  // cut to 64 bytes
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        byte[] genuine = Genuine.Value;
        byte flags = input.IsEmpty ? (byte)1 : input[0];
        ReadOnlySpan<byte> rest = input.IsEmpty ? default : input[1..];
        int length = genuine.Length;
        if ((flags & 2) != 0 && rest.Length >= 3)
        {
            length = (rest[0] | rest[1] << 8 | rest[2] << 16) % (genuine.Length + 64);
            rest = rest[3..];
        }
        var file = new byte[length];
        genuine.AsSpan(0, Math.Min(length, genuine.Length)).CopyTo(file);
        for (; rest.Length >= 4 && length > 0; rest = rest[4..])
        {
            int offset = BinaryPrimitives.ReadUInt16LittleEndian(rest[1..]) % length;
            file[(rest[0] & 1) == 0 ? offset : length - 1 - offset] = rest[3];
        }
        if ((flags & 1) != 0 && length >= 4)
            BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(length - 4), Crc32Mpeg2.Compute(file.AsSpan(0, length - 4)));
        try
        {
            FlashImageFile.Deserialize(file, "fuzz.bin", expectedGeometry: null);
            return 0;
        }
        catch (FlashImageFileException e)
        {
            return 1 + (int)e.Error;
        }
    }

    public override long AllocationBudget(int length) => 4L * 1024 * 1024;
}

using System.Buffers.Binary;
using Csa.Bootloader.Protocol;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// The firmware's state as one journal record payload (52 bytes, docs/device-model.md section 6.2): the
/// enter-bootloader request, the update in progress (target region, manifest digest, payload size, persisted
/// watermark) and the exact security counter. Every change appends a whole new record.
/// </summary>
internal sealed record UpdateRecord(
    bool BootloaderRequested,
    ushort RequestedWaitSeconds,
    UpdatePhase Phase,
    RegionKind? Region,
    uint BytesCommitted,
    uint PayloadSize,
    uint SecurityCounter,
    byte[] ManifestDigest)
{
    public const byte FormatVersion = 1;
    public const int Size = 52;
    private const byte NoRegion = 0xFF;

    public static UpdateRecord Fresh { get; } = new(false, 0, UpdatePhase.Idle, null, 0, 0, 0, new byte[32]);

    public byte[] Encode()
    {
        var p = new byte[Size];
        p[0] = FormatVersion;
        p[1] = (byte)(BootloaderRequested ? 1 : 0);
        p[2] = (byte)Phase;
        p[3] = Region is { } r ? (byte)r : NoRegion;
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), BytesCommitted);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(8), PayloadSize);
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(12), SecurityCounter);
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(16), RequestedWaitSeconds);
        ManifestDigest.CopyTo(p.AsSpan(20));
        return p;
    }

    /// <summary>Decodes a record payload; a payload of another format reads as a fresh state (nothing requested, no update).</summary>
    public static UpdateRecord Decode(ReadOnlySpan<byte> p)
    {
        if (p.Length != Size || p[0] != FormatVersion || p[2] > (byte)UpdatePhase.Complete || (p[3] != NoRegion && p[3] > (byte)RegionKind.Application))
            return Fresh;
        return new UpdateRecord(
            (p[1] & 1) != 0,
            BinaryPrimitives.ReadUInt16LittleEndian(p[16..]),
            (UpdatePhase)p[2],
            p[3] == NoRegion ? null : (RegionKind)p[3],
            BinaryPrimitives.ReadUInt32LittleEndian(p[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(p[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(p[12..]),
            p.Slice(20, 32).ToArray());
    }
}

using System.Buffers.Binary;
using Csa.Bootloader.Protocol;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// The firmware's state as one journal record payload (52 bytes, docs/device-model.md section 6.2): the
/// enter-bootloader request, the update in progress (target region, manifest digest, payload size, persisted
/// watermark), the exact security counter and the regions being rewritten (<see cref="Revoked"/>). Every change
/// appends a whole new record.
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

    /// <summary>The bits of byte 18 that name regions (1 &lt;&lt; RegionKind: BootloaderA, BootloaderB, Application).</summary>
    public const byte RevocableMask = (1 << (int)RegionKind.BootloaderA) | (1 << (int)RegionKind.BootloaderB) | (1 << (int)RegionKind.Application);

    public static UpdateRecord Fresh { get; } = new(false, 0, UpdatePhase.Idle, null, 0, 0, 0, new byte[32]);

    /// <summary>
    /// The image regions being rewritten (byte 18: bit <c>1 &lt;&lt; RegionKind</c>). A region named here is not valid,
    /// whatever its trailer claims, unless it is this record's target and holds this record's image: BeginUpdate sets
    /// the bit in the record it appends before anything is erased, only the commit of that region clears it (the
    /// Complete record), and every other record keeps it. So "updating, not bootable" is decided by the journal alone,
    /// not by how far an erase has come (docs/device-model.md sections 5.1 and 6.3).
    /// </summary>
    public byte Revoked { get; init; }

    public bool Revokes(RegionKind kind) => (Revoked & Bit(kind)) != 0;

    /// <summary>This record with <paramref name="kind"/> marked as being rewritten.</summary>
    public UpdateRecord Revoking(RegionKind kind) => this with { Revoked = (byte)(Revoked | Bit(kind)) };

    /// <summary>This record with <paramref name="kind"/> no longer marked (its new image is committed).</summary>
    public UpdateRecord Restoring(RegionKind kind) => this with { Revoked = (byte)(Revoked & ~Bit(kind)) };

    private static byte Bit(RegionKind kind) => kind is RegionKind.BootloaderA or RegionKind.BootloaderB or RegionKind.Application ? (byte)(1 << (int)kind) : (byte)0;

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
        p[18] = (byte)(Revoked & RevocableMask);
        ManifestDigest.CopyTo(p.AsSpan(20));
        return p;
    }

    /// <summary>Decodes a record payload; a payload of another format reads as a fresh state (nothing requested, no update, nothing revoked).</summary>
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
            p.Slice(20, 32).ToArray())
        {
            // Bits that name no image region are ignored (a writer that used byte 18 for nothing writes 0).
            Revoked = (byte)(p[18] & RevocableMask),
        };
    }
}

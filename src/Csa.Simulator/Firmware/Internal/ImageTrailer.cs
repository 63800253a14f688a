using System.Buffers.Binary;
using Csa.DataLink;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// The installed-image trailer: a 4 KB area at the end of every image region (bootloader copies and application)
/// holding up to seven slots. A slot is the manifest and authentication block of the image installed at the region
/// start, followed by an 8-byte commit marker written last (docs/device-model.md, section 5.1).
/// </summary>
internal static class ImageTrailer
{
    /// <summary>The reserved area at the end of the region.</summary>
    public const int AreaSize = 4096;

    /// <summary>One slot: 8-byte header, manifest (at most 480), authentication block (at most 64), padding, commit marker.</summary>
    public const int SlotSize = 576;

    /// <summary>Slots per area: every torn commit costs one slot, so a Finish survives six cuts before the area must be erased.</summary>
    public const int SlotCount = AreaSize / SlotSize;

    /// <summary>"CSAT" little-endian: the slot header magic.</summary>
    public const uint SlotMagic = 0x54415343;

    /// <summary>"CSAV" little-endian: the commit marker magic.</summary>
    public const uint CommitMagic = 0x56415343;

    /// <summary>The commit marker: magic and CRC-32/MPEG-2 of the slot's bytes before it; one double word.</summary>
    public const int CommitSize = 8;

    /// <summary>The slot header: magic, manifest length (u16), authentication length (u16).</summary>
    public const int HeaderSize = 8;

    /// <summary>The slot bytes the commit marker's CRC covers.</summary>
    public const int BodySize = SlotSize - CommitSize;

    public static uint AreaAddress(MemoryRegion region) => region.EndAddress - AreaSize;

    public static uint SlotAddress(MemoryRegion region, int slot) => AreaAddress(region) + (uint)(slot * SlotSize);

    /// <summary>The bytes an image payload may use: the region minus the trailer area.</summary>
    public static uint UsableSize(MemoryRegion region) => (uint)(region.Size - AreaSize);

    /// <summary>The slot body (header, manifest, authentication block, 0xFF padding).</summary>
    public static byte[] EncodeBody(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authentication)
    {
        if (HeaderSize + manifest.Length + authentication.Length > BodySize)
            throw new ArgumentException($"A {manifest.Length}-byte manifest and a {authentication.Length}-byte authentication block do not fit a {BodySize}-byte trailer slot.");
        var body = new byte[BodySize];
        body.AsSpan().Fill(0xFF);
        BinaryPrimitives.WriteUInt32LittleEndian(body, SlotMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(4), (ushort)manifest.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(body.AsSpan(6), (ushort)authentication.Length);
        manifest.CopyTo(body.AsSpan(HeaderSize));
        authentication.CopyTo(body.AsSpan(HeaderSize + manifest.Length));
        return body;
    }

    /// <summary>The commit marker for <paramref name="body"/>.</summary>
    public static byte[] EncodeCommit(ReadOnlySpan<byte> body)
    {
        var marker = new byte[CommitSize];
        BinaryPrimitives.WriteUInt32LittleEndian(marker, CommitMagic);
        BinaryPrimitives.WriteUInt32LittleEndian(marker.AsSpan(4), Crc32Mpeg2.Compute(body));
        return marker;
    }

    /// <summary>Decodes a committed slot; false for an erased, torn, uncommitted or malformed one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> slot, out byte[] manifest, out byte[] authentication)
    {
        manifest = [];
        authentication = [];
        if (slot.Length != SlotSize)
            return false;
        ReadOnlySpan<byte> body = slot[..BodySize];
        ReadOnlySpan<byte> marker = slot[BodySize..];
        if (BinaryPrimitives.ReadUInt32LittleEndian(marker) != CommitMagic
            || BinaryPrimitives.ReadUInt32LittleEndian(marker[4..]) != Crc32Mpeg2.Compute(body)
            || BinaryPrimitives.ReadUInt32LittleEndian(body) != SlotMagic)
            return false;
        int manifestLength = BinaryPrimitives.ReadUInt16LittleEndian(body[4..]);
        int authLength = BinaryPrimitives.ReadUInt16LittleEndian(body[6..]);
        if (HeaderSize + manifestLength + authLength > BodySize)
            return false;
        manifest = body.Slice(HeaderSize, manifestLength).ToArray();
        authentication = body.Slice(HeaderSize + manifestLength, authLength).ToArray();
        return true;
    }
}

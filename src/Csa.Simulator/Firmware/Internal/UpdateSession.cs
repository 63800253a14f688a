using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>
/// The RAM state of the update in progress: which 16-byte blocks of the payload are written, which sectors were
/// erased since the session began, the live contiguous prefix and the watermark persisted in the journal. A reset
/// drops it; BeginUpdate rebuilds it from the journal (blocks below the watermark written, no sector erased: the one
/// holding the watermark is continued by comparison, the ones past it are erased on first touch).
/// </summary>
internal sealed class UpdateSession
{
    public UpdateSession(RegionKind kind, MemoryRegion region, ImageManifest manifest, byte[] manifestBytes, byte[] authentication, byte[] digest, byte[]? contentKey, int blockSize)
    {
        Kind = kind;
        Region = region;
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        Authentication = authentication;
        Digest = digest;
        ContentKey = contentKey;
        BlockSize = blockSize;
        Written = new bool[(int)((manifest.PayloadSize + (uint)blockSize - 1) / (uint)blockSize)];
    }

    public RegionKind Kind { get; }

    /// <summary>The host that began or last resumed the session; another host may not replace it with another image.</summary>
    public Csa.DataLink.Endpoint? Owner { get; set; }

    public MemoryRegion Region { get; }

    public ImageManifest Manifest { get; }

    public byte[] ManifestBytes { get; }

    public byte[] Authentication { get; }

    public byte[] Digest { get; }

    public byte[]? ContentKey { get; private set; }

    public int BlockSize { get; }

    public bool[] Written { get; }

    public HashSet<int> ErasedSectors { get; } = new();

    public uint PayloadSize => Manifest.PayloadSize;

    /// <summary>Payload bytes from offset 0 written (live).</summary>
    public uint Committed { get; private set; }

    /// <summary>The watermark in the journal: a multiple of the block size, or the payload size.</summary>
    public uint Persisted { get; set; }

    /// <summary>
    /// False for a session over an image the region already holds (nothing may be erased, writes only compare), so the
    /// background eraser leaves it alone.
    /// </summary>
    public bool EraseAhead { get; set; } = true;

    /// <summary>True once the image is committed (or found already installed).</summary>
    public bool Complete { get; set; }

    /// <summary>Marks the blocks below <paramref name="watermark"/> written (resume after a reset).</summary>
    public void MarkWrittenBelow(uint watermark)
    {
        for (int b = 0; b < Written.Length && (long)(b + 1) * BlockSize <= watermark; b++)
            Written[b] = true;
        if (watermark >= PayloadSize)
            Array.Fill(Written, true);
        Persisted = watermark;
        Advance();
    }

    /// <summary>Forgets every block from <paramref name="watermark"/> on (their sectors must be erased again).</summary>
    public void ForgetFrom(uint watermark)
    {
        for (int b = (int)(watermark / (uint)BlockSize); b < Written.Length; b++)
            Written[b] = false;
        Committed = Math.Min(Committed, watermark);
        Persisted = Math.Min(Persisted, watermark);
    }

    /// <summary>Forgets the blocks of payload range [<paramref name="from"/>, <paramref name="to"/>) (a sector that must be erased again).</summary>
    public void ForgetSector(uint from, uint to)
    {
        int last = (int)Math.Min(Written.Length, ((long)to + BlockSize - 1) / BlockSize);
        for (int b = (int)(from / (uint)BlockSize); b < last; b++)
            Written[b] = false;
        Committed = Math.Min(Committed, from);
        Persisted = Math.Min(Persisted, from);
    }

    /// <summary>Moves the contiguous prefix forward over written blocks.</summary>
    public void Advance()
    {
        int b = (int)(Committed / (uint)BlockSize);
        while (b < Written.Length && Written[b])
            b++;
        Committed = (uint)Math.Min((long)b * BlockSize, PayloadSize);
    }

    public void ReplaceKey(byte[]? key)
    {
        if (ContentKey is not null)
            CryptographicOperations.ZeroMemory(ContentKey);
        ContentKey = key;
    }

    public void ClearKey() => ReplaceKey(null);
}

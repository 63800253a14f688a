using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware.Internal;

/// <summary>What the start-up check found in one image region.</summary>
internal sealed record RegionCheck(
    RegionKind Region,
    RegionState State,
    ImageManifest? Manifest,
    byte[]? ManifestBytes,
    byte[]? ManifestDigest,
    string Reason)
{
    public bool IsValid => State == RegionState.Valid;

    public bool Holds(ReadOnlySpan<byte> digest) => IsValid && ManifestDigest is { } d && d.AsSpan().SequenceEqual(digest);
}

/// <summary>
/// The start-up check of an image region (REQ-BOOT-VERIFY), as the pre-bootloader runs it on both bootloader copies
/// and the bootloader on the application: a committed trailer slot, a well-formed manifest authenticated by a trusted
/// key (or the CRC on checksum-only products), the right kind, vendor, class, device binding and location, and the
/// SHA-256 of the plaintext payload re-read from flash.
/// </summary>
internal sealed class RegionInspector
{
    private const int EmptyProbe = 1024;
    private readonly SimulatedFlash _flash;
    private readonly DeviceProfile _profile;
    private readonly IImageVerifier[] _verifiers;

    public RegionInspector(SimulatedFlash flash, DeviceProfile profile, IImageVerifier[] verifiers)
    {
        _flash = flash;
        _profile = profile;
        _verifiers = verifiers;
    }

    public RegionCheck Check(RegionKind kind, MemoryRegion region)
    {
        ImageKind expected = kind == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader;
        var slot = new byte[ImageTrailer.SlotSize];
        bool anyUsed = false;
        for (int i = 0; i < ImageTrailer.SlotCount; i++)
        {
            if (!TryRead(ImageTrailer.SlotAddress(region, i), slot))
            {
                anyUsed = true;
                continue;
            }
            if (!slot.AsSpan().ContainsAnyExcept(FlashGeometry.ErasedValue))
                continue;
            anyUsed = true;
            if (ImageTrailer.TryDecode(slot, out byte[] manifestBytes, out byte[] auth))
                return CheckCommitted(kind, region, expected, manifestBytes, auth);
        }
        if (!anyUsed && _flash.IsBlank(region.Address, EmptyProbe))
            return new RegionCheck(kind, RegionState.Empty, null, null, null, "erased");
        return new RegionCheck(kind, RegionState.Invalid, null, null, null, "no committed trailer slot (an update was interrupted or abandoned)");
    }

    private RegionCheck CheckCommitted(RegionKind kind, MemoryRegion region, ImageKind expected, byte[] manifestBytes, byte[] auth)
    {
        byte[] digest = SHA256.HashData(manifestBytes);
        var policy = new ImagePolicy
        {
            VendorId = _profile.VendorId,
            DeviceClassId = _profile.DeviceClassId,
            ExpectedKind = expected,
            DeviceUid = _profile.Uid,
            TargetRegion = new ImageRegion(region.Address, ImageTrailer.UsableSize(region)),
        };
        foreach (IImageVerifier v in _verifiers)
            policy.TrustedVerifiers.Add(v);
        ImageManifest manifest;
        try
        {
            manifest = new ImageValidator(policy).CheckBeforeErase(manifestBytes, auth);
        }
        catch (Exception e) when (e is ImageFormatException or ImageRejectedException)
        {
            return new RegionCheck(kind, RegionState.Invalid, null, manifestBytes, digest, e.Message);
        }
        if (_profile.RequireDeviceBinding && !manifest.IsDeviceBound)
            return new RegionCheck(kind, RegionState.Invalid, manifest, manifestBytes, digest, "the image is not bound to a device and the product requires binding");
        if (!PayloadMatches(region.Address, manifest))
            return new RegionCheck(kind, RegionState.Invalid, manifest, manifestBytes, digest, "the payload's SHA-256 differs from the manifest");
        return new RegionCheck(kind, RegionState.Valid, manifest, manifestBytes, digest, "valid");
    }

    /// <summary>Re-hashes the plaintext payload as stored in flash.</summary>
    public bool PayloadMatches(uint address, ImageManifest manifest)
    {
        byte[]? hash = HashFlash(address, manifest.PayloadSize);
        return hash is not null && CryptographicOperations.FixedTimeEquals(hash, manifest.PayloadSha256.Span);
    }

    /// <summary>SHA-256 of a flash range, or null when a read hits an L4 ECC double error.</summary>
    public byte[]? HashFlash(uint address, uint length)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4096];
        for (uint done = 0; done < length; done += (uint)buffer.Length)
        {
            Span<byte> chunk = buffer.AsSpan(0, (int)Math.Min((uint)buffer.Length, length - done));
            if (!TryRead(address + done, chunk))
                return null;
            hash.AppendData(chunk);
        }
        return hash.GetHashAndReset();
    }

    private bool TryRead(uint address, Span<byte> destination)
    {
        try
        {
            _flash.Read(address, destination);
            return true;
        }
        catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
        {
            return false;
        }
    }
}

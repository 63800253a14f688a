using System.Buffers.Binary;
using Csa.Bootloader.Images.Internal;

namespace Csa.Bootloader.Images;

/// <summary>
/// The parsed manifest of an image: what it is, whom it is for, where it goes, and the SHA-256 of its
/// plaintext payload. The manifest is what the authentication block signs (docs/image-format.md).
/// Immutable; obtain one from <see cref="ImageReader"/> or <see cref="ImageBuilder"/>.
/// </summary>
public sealed class ImageManifest
{
    private readonly byte[] _payloadSha256;
    private readonly byte[] _nonce;
    private readonly byte[] _keyId;
    private readonly DeviceUid[] _boundDevices;

    internal ImageManifest(
        ImageKind kind, ImageAuthentication authentication, ImageEncryption encryption,
        uint vendorId, uint deviceClassId, FirmwareVersion version, uint securityCounter,
        uint loadAddress, uint payloadSize, ReadOnlySpan<byte> payloadSha256, ReadOnlySpan<byte> nonce,
        ReadOnlySpan<byte> keyId, DeviceUid[] boundDevices)
    {
        Kind = kind;
        Authentication = authentication;
        Encryption = encryption;
        VendorId = vendorId;
        DeviceClassId = deviceClassId;
        Version = version;
        SecurityCounter = securityCounter;
        LoadAddress = loadAddress;
        PayloadSize = payloadSize;
        _payloadSha256 = payloadSha256.ToArray();
        _nonce = nonce.ToArray();
        _keyId = keyId.ToArray();
        _boundDevices = boundDevices;
    }

    /// <summary>The format version of the manifest.</summary>
    public ushort FormatVersion => ImageFormat.FormatVersion;

    /// <summary>The manifest's length in bytes: 96 plus 12 per bound device.</summary>
    public int Length => ImageFormat.ManifestFixedSize + (_boundDevices.Length * DeviceUid.Length);

    /// <summary>Application or bootloader.</summary>
    public ImageKind Kind { get; }

    /// <summary>How the manifest is authenticated.</summary>
    public ImageAuthentication Authentication { get; }

    /// <summary>The length of the authentication block after the payload.</summary>
    public int AuthenticationBlockLength => ImageFormat.AuthenticationBlockSize(Authentication);

    /// <summary>How the payload is encrypted.</summary>
    public ImageEncryption Encryption { get; }

    /// <summary>The vendor the image is for.</summary>
    public uint VendorId { get; }

    /// <summary>The device class (product / board) the image is for.</summary>
    public uint DeviceClassId { get; }

    /// <summary>The image's version.</summary>
    public FirmwareVersion Version { get; }

    /// <summary>The security counter: a device refuses images below its stored minimum (REQ-DOWNGRADE).</summary>
    public uint SecurityCounter { get; }

    /// <summary>The flash address the payload is linked for and written to.</summary>
    public uint LoadAddress { get; }

    /// <summary>The payload's length in bytes (plaintext and ciphertext have the same length).</summary>
    public uint PayloadSize { get; }

    /// <summary>The SHA-256 of the plaintext payload.</summary>
    public ReadOnlyMemory<byte> PayloadSha256 => _payloadSha256;

    /// <summary>The 16-byte initial AES-CTR counter block; all zero for a plaintext payload.</summary>
    public ReadOnlyMemory<byte> Nonce => _nonce;

    /// <summary>The 8-byte id of the signing key; all zero for a CRC.</summary>
    public ReadOnlyMemory<byte> KeyId => _keyId;

    /// <summary>The devices the image is bound to; empty when it installs on any device of its class.</summary>
    public IReadOnlyList<DeviceUid> BoundDevices => _boundDevices;

    /// <summary>True when the image is bound to specific devices.</summary>
    public bool IsDeviceBound => _boundDevices.Length != 0;

    /// <summary>True when the image may be installed on <paramref name="device"/>: it is unbound, or bound to that device.</summary>
    public bool AllowsDevice(DeviceUid device) => _boundDevices.Length == 0 || Array.IndexOf(_boundDevices, device) >= 0;

    /// <summary>Serialises the manifest into its exact bytes (the bytes the authentication block signs).</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }

    internal void Write(Span<byte> m)
    {
        m[..Length].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.Magic..], ImageFormat.ManifestMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(m[ManifestLayout.FormatVersion..], ImageFormat.FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(m[ManifestLayout.ManifestLength..], (ushort)Length);
        m[ManifestLayout.Kind] = (byte)Kind;
        m[ManifestLayout.Authentication] = (byte)Authentication;
        m[ManifestLayout.Encryption] = (byte)Encryption;
        m[ManifestLayout.BindingCount] = (byte)_boundDevices.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.VendorId..], VendorId);
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.DeviceClassId..], DeviceClassId);
        m[ManifestLayout.VersionMajor] = Version.Major;
        m[ManifestLayout.VersionMinor] = Version.Minor;
        BinaryPrimitives.WriteUInt16LittleEndian(m[ManifestLayout.VersionPatch..], Version.Patch);
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.VersionBuild..], Version.Build);
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.SecurityCounter..], SecurityCounter);
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.LoadAddress..], LoadAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(m[ManifestLayout.PayloadSize..], PayloadSize);
        _payloadSha256.CopyTo(m[ManifestLayout.PayloadSha256..]);
        _nonce.CopyTo(m[ManifestLayout.Nonce..]);
        _keyId.CopyTo(m[ManifestLayout.KeyId..]);
        for (int i = 0; i < _boundDevices.Length; i++)
            _boundDevices[i].CopyTo(m[(ManifestLayout.BoundDevices + (i * DeviceUid.Length))..]);
    }

    /// <summary>A one-line summary for logs: kind, version, target, counter, address and size.</summary>
    public override string ToString() =>
        $"{Kind} {Version} for vendor 0x{VendorId:X8} class 0x{DeviceClassId:X8}, security counter {SecurityCounter}, " +
        $"{PayloadSize} bytes at 0x{LoadAddress:X8}, {Authentication}, {Encryption}" +
        (IsDeviceBound ? $", bound to {_boundDevices.Length} device(s)" : "");
}

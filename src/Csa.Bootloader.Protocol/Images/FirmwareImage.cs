namespace Csa.Bootloader.Images;

/// <summary>
/// A parsed, well-formed image: its exact bytes and its sections. Being well-formed says nothing about
/// whether a device should accept it; check that with <see cref="ImageValidator"/>.
/// </summary>
public sealed class FirmwareImage
{
    private readonly WrappedKeyEntry[] _wrappedKeys;

    internal FirmwareImage(
        ReadOnlyMemory<byte> bytes, ImageManifest manifest, ReadOnlyMemory<byte> manifestBytes,
        ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> authenticationBlock, WrappedKeyEntry[] wrappedKeys)
    {
        Bytes = bytes;
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        Payload = payload;
        AuthenticationBlock = authenticationBlock;
        _wrappedKeys = wrappedKeys;
    }

    /// <summary>The whole image file.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The parsed manifest.</summary>
    public ImageManifest Manifest { get; }

    /// <summary>The manifest's exact bytes: what the authentication block signs.</summary>
    public ReadOnlyMemory<byte> ManifestBytes { get; }

    /// <summary>The payload as stored: plaintext, or ciphertext when <see cref="ImageManifest.Encryption"/> is not none.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The signature (64 bytes r||s) or CRC-32 (4 bytes little-endian) over the manifest.</summary>
    public ReadOnlyMemory<byte> AuthenticationBlock { get; }

    /// <summary>The key block's entries (empty for a plaintext image).</summary>
    public IReadOnlyList<WrappedKeyEntry> WrappedKeys => _wrappedKeys;

    /// <summary>The length of the image file in bytes.</summary>
    public int Length => Bytes.Length;

    /// <summary>The wrapped content key for <paramref name="device"/>, or null when the key block has none.</summary>
    public WrappedKeyEntry? FindWrappedKey(DeviceUid device) => Array.Find(_wrappedKeys, e => e.Device == device);

    /// <summary>A copy of the image file's bytes.</summary>
    public byte[] ToArray() => Bytes.ToArray();

    /// <summary>Writes the image file to <paramref name="path"/>.</summary>
    public Task WriteFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return File.WriteAllBytesAsync(path, Bytes.ToArray(), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Length}-byte image: {Manifest}";
}

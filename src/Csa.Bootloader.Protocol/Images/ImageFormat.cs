namespace Csa.Bootloader.Images;

/// <summary>
/// The constants of the image container, as specified byte by byte in docs/image-format.md. A C bootloader
/// uses the same numbers from the generated header.
/// </summary>
public static class ImageFormat
{
    /// <summary>The manifest magic, the ASCII bytes "CSAI" (0x49415343 read as a little-endian u32).</summary>
    public const uint ManifestMagic = 0x49415343;

    /// <summary>The key block magic, the ASCII bytes "CSAK" (0x4B415343 read as a little-endian u32).</summary>
    public const uint KeyBlockMagic = 0x4B415343;

    /// <summary>The only format version this library reads and writes.</summary>
    public const ushort FormatVersion = 1;

    /// <summary>The size of the fixed part of the manifest; the bound device UIDs follow it.</summary>
    public const int ManifestFixedSize = 96;

    /// <summary>The most devices one image can be bound to.</summary>
    public const int MaxBindingCount = 32;

    /// <summary>The largest manifest: the fixed part and <see cref="MaxBindingCount"/> UIDs.</summary>
    public const int MaxManifestSize = ManifestFixedSize + (MaxBindingCount * DeviceUid.Length);

    /// <summary>The largest payload, 2 MiB: the largest flash of a supported STM32F4 / STM32L4 part.</summary>
    public const int MaxPayloadSize = 2 * 1024 * 1024;

    /// <summary>The length of the SHA-256 payload hash.</summary>
    public const int PayloadHashSize = 32;

    /// <summary>The length of the encryption nonce (the initial AES-CTR counter block).</summary>
    public const int NonceSize = 16;

    /// <summary>The length of a key id.</summary>
    public const int KeyIdSize = 8;

    /// <summary>The length of the key block header (magic, entry count, wrapped key length).</summary>
    public const int KeyBlockHeaderSize = 8;

    /// <summary>The most entries (devices) one key block holds.</summary>
    public const int MaxKeyBlockEntries = 4096;

    /// <summary>The longest wrapped key one key block entry holds.</summary>
    public const int MaxWrappedKeySize = 512;

    /// <summary>
    /// The largest image file the format allows (the longest manifest, payload, authentication block and key block):
    /// 4 244 008 bytes. A reader never takes more than this from a file (TUF's endless-data attack: a file, pipe or
    /// device that never ends cannot exhaust the host's memory).
    /// </summary>
    public const int MaxImageSize = MaxManifestSize + MaxPayloadSize + 64 + KeyBlockHeaderSize + (MaxKeyBlockEntries * (DeviceUid.Length + MaxWrappedKeySize));

    /// <summary>The length of the authentication block for <paramref name="algorithm"/>: 4 for CRC-32, 64 for ECDSA P-256.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not one this format defines.</exception>
    public static int AuthenticationBlockSize(ImageAuthentication algorithm) => algorithm switch
    {
        ImageAuthentication.Crc32 => 4,
        ImageAuthentication.EcdsaP256Sha256 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Not an authentication algorithm of image format version 1."),
    };
}

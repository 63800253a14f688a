using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.DataLink;

namespace Csa.Cli.Images;

/// <summary>
/// Everything <c>csa image inspect</c> shows about an image, as the --json document and the source of the table.
/// Identifiers and addresses are hex strings ("0x0000C5A0", as the options take them), sizes and counters numbers,
/// byte strings lowercase hex.
/// </summary>
internal sealed record ImageDescription(
    string File,
    int Size,
    string Sha256,
    ManifestDescription Manifest,
    IReadOnlyList<SectionDescription> Sections,
    AuthenticationDescription Authentication,
    IReadOnlyList<WrappedKeyDescription> WrappedKeys,
    IntegrityDescription Integrity)
{
    public static ImageDescription Describe(FirmwareImage image, string file)
    {
        ImageManifest m = image.Manifest;
        int manifestLength = image.ManifestBytes.Length;
        int payloadLength = image.Payload.Length;
        int authLength = image.AuthenticationBlock.Length;
        int keyBlockLength = image.Length - manifestLength - payloadLength - authLength;
        var sections = new List<SectionDescription>
        {
            new("manifest", 0, manifestLength),
            new("payload", manifestLength, payloadLength),
            new("authentication", manifestLength + payloadLength, authLength),
        };
        if (keyBlockLength > 0)
            sections.Add(new SectionDescription("keyBlock", manifestLength + payloadLength + authLength, keyBlockLength));

        var manifest = new ManifestDescription(
            m.FormatVersion, m.Length, Name(m.Kind), Name(m.Authentication), Name(m.Encryption),
            Hex32(m.VendorId), Hex32(m.DeviceClassId), m.Version.ToString(), m.SecurityCounter, Hex32(m.LoadAddress),
            m.PayloadSize, Lower(m.PayloadSha256.Span), Lower(m.Nonce.Span), Lower(m.KeyId.Span),
            [.. m.BoundDevices.Select(d => d.ToString())]);

        bool awaiting = DeferredSigner.IsAwaitingSignature(image);
        var authentication = new AuthenticationDescription(
            Name(m.Authentication),
            m.Authentication == ImageAuthentication.Crc32 ? null : Lower(m.KeyId.Span),
            Lower(image.AuthenticationBlock.Span),
            awaiting ? "awaitingSignature" : m.Authentication == ImageAuthentication.Crc32 ? "crc" : "signed");

        WrappedKeyDescription[] keys = [.. image.WrappedKeys.Select(k => new WrappedKeyDescription(k.Device.ToString(), k.WrappedKey.Length))];

        // What can be checked without trusted keys or device secrets; signatures need 'csa image verify'.
        bool? crcValid = m.Authentication == ImageAuthentication.Crc32
            ? Crc32ImageAuthenticator.Instance.Verify(image.ManifestBytes.Span, image.AuthenticationBlock.Span, m.KeyId.Span)
            : null;
        bool? payloadHashMatches = m.Encryption == ImageEncryption.None
            ? SHA256.HashData(image.Payload.Span).AsSpan().SequenceEqual(m.PayloadSha256.Span)
            : null;
        var integrity = new IntegrityDescription(crcValid, payloadHashMatches, Lower(SHA256.HashData(image.ManifestBytes.Span)));

        return new ImageDescription(Path.GetFileName(file), image.Length, Lower(SHA256.HashData(image.Bytes.Span)),
            manifest, sections, authentication, keys, integrity);
    }

    public static string Hex32(uint value) => $"0x{value:X8}";

    public static string Lower(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static string Name(ImageKind kind) => kind == ImageKind.Bootloader ? "bootloader" : "application";

    public static string Name(ImageAuthentication authentication) =>
        authentication == ImageAuthentication.Crc32 ? "crc32" : "ecdsaP256Sha256";

    public static string Name(ImageEncryption encryption) =>
        encryption == ImageEncryption.None ? "none" : "aes256CtrEciesP256";
}

/// <summary>Every field of the manifest (docs/image-format.md section 3).</summary>
internal sealed record ManifestDescription(
    int FormatVersion, int Length, string Kind, string Authentication, string Encryption,
    string VendorId, string DeviceClassId, string Version, uint SecurityCounter, string LoadAddress,
    uint PayloadSize, string PayloadSha256, string Nonce, string KeyId, IReadOnlyList<string> BoundDevices);

/// <summary>One section of the file: its name, offset and length in bytes.</summary>
internal sealed record SectionDescription(string Name, int Offset, int Length);

/// <summary>The authentication block: algorithm, signing key id (null for a CRC), the block, and its state.</summary>
internal sealed record AuthenticationDescription(string Algorithm, string? KeyId, string Block, string State);

/// <summary>One key block entry: the device and the length of its wrapped content key.</summary>
internal sealed record WrappedKeyDescription(string Device, int Length);

/// <summary>
/// Checks that need no key: the CRC (CRC images), the plaintext payload's SHA-256 (plaintext images); null where
/// they do not apply. <see cref="ManifestSha256"/> is the wrap context of the key block.
/// </summary>
internal sealed record IntegrityDescription(bool? CrcValid, bool? PayloadHashMatches, string ManifestSha256);

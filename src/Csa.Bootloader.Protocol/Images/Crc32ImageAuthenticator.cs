using System.Buffers.Binary;
using Csa.DataLink;

namespace Csa.Bootloader.Images;

/// <summary>
/// The built-in authentication for products without asymmetric cryptography: a CRC-32/MPEG-2 (what the
/// STM32 CRC peripheral computes) over the manifest, stored as 4 bytes little-endian. Because the manifest
/// holds the payload's SHA-256, the CRC and the hash together detect accidental damage to any byte of the
/// image. It is NOT authentication against an attacker: anyone can compute a CRC. Products that need
/// REQ-AUTH-FW use ECDSA (Csa.Crypto). The key id of a CRC image is all zero.
/// </summary>
public sealed class Crc32ImageAuthenticator : IImageSigner, IImageVerifier
{
    private static readonly byte[] ZeroKeyId = new byte[ImageFormat.KeyIdSize];

    /// <summary>The one instance; the authenticator has no state.</summary>
    public static Crc32ImageAuthenticator Instance { get; } = new();

    private Crc32ImageAuthenticator()
    {
    }

    /// <inheritdoc />
    public ImageAuthentication Algorithm => ImageAuthentication.Crc32;

    /// <summary>Eight zero bytes: a CRC has no key.</summary>
    public ReadOnlyMemory<byte> KeyId => ZeroKeyId;

    /// <summary>The CRC-32/MPEG-2 of <paramref name="manifest"/>, 4 bytes little-endian.</summary>
    public byte[] Compute(ReadOnlySpan<byte> manifest)
    {
        var block = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(block, Crc32Mpeg2.Compute(manifest));
        return block;
    }

    /// <inheritdoc />
    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Compute(manifest.Span));
    }

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId)
    {
        if (authenticationBlock.Length != 4 || !keyId.SequenceEqual(ZeroKeyId))
            return false;
        return BinaryPrimitives.ReadUInt32LittleEndian(authenticationBlock) == Crc32Mpeg2.Compute(manifest);
    }
}

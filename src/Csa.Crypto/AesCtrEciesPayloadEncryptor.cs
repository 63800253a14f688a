using Csa.Bootloader.Images;
using Csa.Crypto.Internal;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities;

namespace Csa.Crypto;

/// <summary>
/// Host side of <see cref="ImageEncryption.Aes256CtrEciesP256"/>: encrypts a payload once with AES-256-CTR under a
/// fresh random content key and initial counter block, then wraps that key separately for each device with
/// ECIES on P-256. The ciphertext is the same for every device; only the 129-byte wrapped key differs.
/// </summary>
public sealed class AesCtrEciesPayloadEncryptor : IPayloadEncryptor
{
    /// <summary>Bytes in a content key (AES-256).</summary>
    public const int ContentKeyLength = EciesP256.ContentKeyLength;

    /// <summary>Bytes in the initial counter block (the nonce in the manifest).</summary>
    public const int NonceLength = AesCtr.BlockSize;

    /// <summary>Bytes in a wrapped key block: ephemeral point (65) || encrypted content key (32) || tag (32).</summary>
    public const int WrappedKeyLength = EciesP256.WrappedLength;

    /// <summary>Bytes in the wrap context (the SHA-256 of the manifest).</summary>
    public const int ContextLength = EciesP256.ContextLength;

    private readonly SecureRandom _random;

    /// <summary>Creates an encryptor that draws keys, counters and ephemeral keys from the operating system's CSPRNG.</summary>
    public AesCtrEciesPayloadEncryptor()
        : this(new SecureRandom())
    {
    }

    internal AesCtrEciesPayloadEncryptor(SecureRandom random)
    {
        _random = random;
    }

    /// <inheritdoc/>
    public ImageEncryption Algorithm => ImageEncryption.Aes256CtrEciesP256;

    /// <inheritdoc/>
    public EncryptedPayload Encrypt(ReadOnlySpan<byte> plaintext)
    {
        byte[] contentKey = new byte[ContentKeyLength];
        byte[] nonce = new byte[NonceLength];
        _random.NextBytes(contentKey);
        _random.NextBytes(nonce);
        byte[] ciphertext = new byte[plaintext.Length];
        AesCtr.Transform(contentKey, nonce, 0, plaintext, ciphertext);
        return new EncryptedPayload(ciphertext, nonce, contentKey);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The content key is not 32 bytes or the context not 32 bytes.</exception>
    /// <exception cref="KeyFormatException">The device public key is not a valid 65-byte uncompressed P-256 point.</exception>
    public byte[] WrapKey(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> devicePublicKey, ReadOnlySpan<byte> context) =>
        WrapKey(contentKey, EcP256PublicKey.FromUncompressedPoint(devicePublicKey), context);

    /// <summary>Wraps <paramref name="contentKey"/> for the device whose identity key is <paramref name="devicePublicKey"/>.</summary>
    /// <exception cref="ArgumentException">The content key is not 32 bytes or the context not 32 bytes.</exception>
    public byte[] WrapKey(ReadOnlySpan<byte> contentKey, EcP256PublicKey devicePublicKey, ReadOnlySpan<byte> context)
    {
        ArgumentNullException.ThrowIfNull(devicePublicKey);
        CheckLengths(contentKey, context);

        // A fresh ephemeral scalar per wrap: reusing one across devices would let any device that unwraps its
        // block learn nothing new, but reusing one across images would repeat Kx for a device, so never reuse.
        BigInteger ephemeral = BigIntegers.CreateRandomInRange(BigInteger.One, P256.N.Subtract(BigInteger.One), _random);
        return EciesP256.Wrap(contentKey, devicePublicKey, context, ephemeral);
    }

    /// <summary>Deterministic wrap with a given ephemeral key: for the golden vector in docs/security.md only.</summary>
    internal static byte[] WrapKeyWithEphemeral(ReadOnlySpan<byte> contentKey, EcP256PublicKey devicePublicKey, ReadOnlySpan<byte> context, EcP256PrivateKey ephemeral)
    {
        CheckLengths(contentKey, context);
        return EciesP256.Wrap(contentKey, devicePublicKey, context, ephemeral.D);
    }

    private static void CheckLengths(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> context)
    {
        if (contentKey.Length != ContentKeyLength)
        {
            throw new ArgumentException($"A content key is {ContentKeyLength} bytes (AES-256), not {contentKey.Length}.", nameof(contentKey));
        }

        if (context.Length != ContextLength)
        {
            throw new ArgumentException($"The wrap context is the {ContextLength}-byte SHA-256 of the manifest, not {context.Length} bytes.", nameof(context));
        }
    }
}

using Csa.Bootloader.Images;
using Csa.Crypto.Internal;

namespace Csa.Crypto;

/// <summary>
/// Device side of <see cref="ImageEncryption.Aes256CtrEciesP256"/>: unwraps the content key with this device's
/// identity private key and decrypts AES-256-CTR at any byte offset, so offset-addressed writes that arrive
/// out of order (or twice) decrypt independently.
/// </summary>
public sealed class AesCtrEciesPayloadDecryptor : IPayloadDecryptor
{
    private readonly EcP256PrivateKey _deviceKey;

    /// <summary>Creates a decryptor holding <paramref name="deviceKey"/> (a <see cref="KeyRole.DeviceIdentity"/> key).</summary>
    public AesCtrEciesPayloadDecryptor(EcP256PrivateKey deviceKey)
    {
        ArgumentNullException.ThrowIfNull(deviceKey);
        _deviceKey = deviceKey;
    }

    /// <inheritdoc/>
    public ImageEncryption Algorithm => ImageEncryption.Aes256CtrEciesP256;

    /// <summary>The device's public key, the one the host wraps content keys for.</summary>
    public EcP256PublicKey DevicePublicKey => _deviceKey.PublicKey;

    /// <inheritdoc/>
    public bool TryUnwrapKey(ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> context, out byte[] contentKey)
    {
        byte[] key = new byte[AesCtrEciesPayloadEncryptor.ContentKeyLength];
        if (EciesP256.TryUnwrap(_deviceKey.D, _deviceKey.PublicKey.UncompressedPoint.Span, wrappedKey, context, key))
        {
            contentKey = key;
            return true;
        }

        contentKey = [];
        return false;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The key is not 32 bytes, the nonce not 16, or <paramref name="plaintext"/> is shorter than <paramref name="ciphertext"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative.</exception>
    public void Decrypt(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> nonce, long offset, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (contentKey.Length != AesCtrEciesPayloadEncryptor.ContentKeyLength)
        {
            throw new ArgumentException($"A content key is {AesCtrEciesPayloadEncryptor.ContentKeyLength} bytes, not {contentKey.Length}.", nameof(contentKey));
        }

        AesCtr.Transform(contentKey, nonce, offset, ciphertext, plaintext);
    }

    /// <summary>Array form of <see cref="Decrypt(ReadOnlySpan{byte}, ReadOnlySpan{byte}, long, ReadOnlySpan{byte}, Span{byte})"/>, for callers such as Python.</summary>
    public byte[] Decrypt(byte[] contentKey, byte[] nonce, long offset, byte[] ciphertext)
    {
        ArgumentNullException.ThrowIfNull(ciphertext);
        byte[] plaintext = new byte[ciphertext.Length];
        Decrypt(contentKey, nonce, offset, ciphertext, plaintext);
        return plaintext;
    }
}

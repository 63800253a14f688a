namespace Csa.Bootloader.Images;

/// <summary>How an image's manifest is authenticated (the authentication block after the payload).</summary>
public enum ImageAuthentication : byte
{
    /// <summary>CRC-32/MPEG-2 over the manifest: integrity only, for products without asymmetric cryptography.</summary>
    Crc32 = 0x01,

    /// <summary>ECDSA P-256 over SHA-256 of the manifest, 64 bytes r||s.</summary>
    EcdsaP256Sha256 = 0x02,
}

/// <summary>How an image's payload is encrypted.</summary>
public enum ImageEncryption : byte
{
    /// <summary>The payload is plaintext.</summary>
    None = 0x00,

    /// <summary>
    /// AES-256-CTR under a fresh random content key per image; the content key is wrapped per device with
    /// ECIES on P-256 (ephemeral ECDH, HKDF-SHA256, HMAC-SHA256 key confirmation).
    /// </summary>
    Aes256CtrEciesP256 = 0x01,
}

/// <summary>
/// Produces the authentication block for a manifest. The default implementation signs with a key file
/// (Csa.Crypto); an HSM or a remote signing service plugs in here instead.
/// </summary>
public interface IImageSigner
{
    /// <summary>The algorithm of the block this signer produces.</summary>
    ImageAuthentication Algorithm { get; }

    /// <summary>The 8-byte id of the key, written into the manifest so a device can pick its trusted key.</summary>
    ReadOnlyMemory<byte> KeyId { get; }

    /// <summary>Returns the authentication block for <paramref name="manifest"/> (the manifest's exact bytes).</summary>
    Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default);
}

/// <summary>Checks an authentication block; the device side (and the host's local pre-check) use it.</summary>
public interface IImageVerifier
{
    /// <summary>The algorithm this verifier checks.</summary>
    ImageAuthentication Algorithm { get; }

    /// <summary>
    /// True when <paramref name="authenticationBlock"/> authenticates <paramref name="manifest"/> under a key
    /// this verifier trusts whose id is <paramref name="keyId"/>. False for an unknown key or a bad block; it
    /// never throws for bad input.
    /// </summary>
    bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId);
}

/// <summary>The result of encrypting a payload under a fresh content key.</summary>
/// <param name="Ciphertext">The encrypted payload, the same length as the plaintext and the same for every device.</param>
/// <param name="Nonce">The 16-byte initial counter block, written into the manifest.</param>
/// <param name="ContentKey">The fresh random key. Secret: wrap it per device, then clear it.</param>
public sealed record EncryptedPayload(byte[] Ciphertext, byte[] Nonce, byte[] ContentKey);

/// <summary>Host side of payload encryption: encrypt once, wrap the content key per device.</summary>
public interface IPayloadEncryptor
{
    /// <summary>The algorithm this encryptor implements.</summary>
    ImageEncryption Algorithm { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> under a fresh random content key and nonce.</summary>
    EncryptedPayload Encrypt(ReadOnlySpan<byte> plaintext);

    /// <summary>
    /// Wraps <paramref name="contentKey"/> for one device whose public key is <paramref name="devicePublicKey"/>
    /// (65-byte uncompressed P-256 point). <paramref name="context"/> (the SHA-256 of the manifest) is bound
    /// into the key derivation, so a wrapped key cannot be moved onto another image.
    /// </summary>
    byte[] WrapKey(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> devicePublicKey, ReadOnlySpan<byte> context);
}

/// <summary>Device side of payload encryption. CTR mode is seekable, so offset-addressed writes decrypt in any order.</summary>
public interface IPayloadDecryptor
{
    /// <summary>The algorithm this decryptor implements.</summary>
    ImageEncryption Algorithm { get; }

    /// <summary>
    /// Unwraps a content key with the device's private key and checks its key confirmation. Returns false
    /// (and no key) when the block was not made for this device or this <paramref name="context"/>.
    /// </summary>
    bool TryUnwrapKey(ReadOnlySpan<byte> wrappedKey, ReadOnlySpan<byte> context, out byte[] contentKey);

    /// <summary>Decrypts <paramref name="ciphertext"/> that starts at byte <paramref name="offset"/> of the payload.</summary>
    void Decrypt(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> nonce, long offset, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext);
}

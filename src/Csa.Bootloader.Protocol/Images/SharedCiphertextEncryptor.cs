using System.Security.Cryptography;

namespace Csa.Bootloader.Images;

/// <summary>
/// An <see cref="IPayloadEncryptor"/> that encrypts one plaintext once and gives every image built with it the same
/// ciphertext, content key and nonce, while each image wraps that key for its own devices under its own manifest. So
/// per-device images (each bound to its device, with its own manifest and wrapped key) share one payload, which a
/// transfer to a group writes once to all of them (docs/updates.md section 10a).
/// </summary>
/// <remarks>
/// What it costs: the devices of one release share a content key, so a device's extracted identity key opens that
/// release's payload, which the device received anyway, and nothing else; a payload meant for other devices only is
/// never encrypted with it (build it with its own encryptor). CTR with one key and nonce is safe here because the
/// plaintext is the same: the keystream never covers two different plaintexts. Encrypting a different plaintext with
/// the same instance is refused.
/// </remarks>
public sealed class SharedCiphertextEncryptor : IPayloadEncryptor, IDisposable
{
    private readonly IPayloadEncryptor _inner;
    private readonly object _lock = new();
    private EncryptedPayload? _encrypted;
    private byte[]? _plaintextHash;

    /// <summary>Wraps <paramref name="inner"/> (Csa.Crypto's <c>AesCtrEciesPayloadEncryptor</c>), which encrypts once and wraps every key.</summary>
    public SharedCiphertextEncryptor(IPayloadEncryptor inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <inheritdoc />
    public ImageEncryption Algorithm => _inner.Algorithm;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A different plaintext than the first one.</exception>
    public EncryptedPayload Encrypt(ReadOnlySpan<byte> plaintext)
    {
        byte[] hash = SHA256.HashData(plaintext);
        lock (_lock)
        {
            if (_encrypted is null)
            {
                _encrypted = _inner.Encrypt(plaintext);
                _plaintextHash = hash;
            }
            else if (!CryptographicOperations.FixedTimeEquals(hash, _plaintextHash))
            {
                throw new InvalidOperationException("This encryptor shares one ciphertext for one plaintext; another plaintext needs an encryptor of its own (a second plaintext under the same key and nonce would reuse the keystream).");
            }
            return new EncryptedPayload((byte[])_encrypted.Ciphertext.Clone(), (byte[])_encrypted.Nonce.Clone(), (byte[])_encrypted.ContentKey.Clone());
        }
    }

    /// <inheritdoc />
    public byte[] WrapKey(ReadOnlySpan<byte> contentKey, ReadOnlySpan<byte> devicePublicKey, ReadOnlySpan<byte> context) =>
        _inner.WrapKey(contentKey, devicePublicKey, context);

    /// <summary>Forgets the content key.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_encrypted is not null)
                CryptographicOperations.ZeroMemory(_encrypted.ContentKey);
            _encrypted = null;
        }
    }
}

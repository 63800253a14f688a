using System.Buffers.Binary;
using Csa.Bootloader.Images;
using Csa.Crypto.Internal;

namespace Csa.Crypto;

/// <summary>
/// Checks ECDSA P-256 / SHA-256 authentication blocks (64-byte r||s) against a fixed set of trusted public keys,
/// chosen by the 8-byte key id in the manifest. It holds public keys only: nothing here can sign.
/// </summary>
public sealed class EcdsaP256Verifier : IKeyAwareImageVerifier
{
    private readonly Dictionary<ulong, EcP256PublicKey> _keys = new();
    private readonly bool _requireLowS;

    /// <summary>Creates a verifier that trusts <paramref name="trustedKeys"/> (duplicates of one key are merged).</summary>
    /// <exception cref="ArgumentException">No key given, or two different keys share a key id.</exception>
    public EcdsaP256Verifier(IEnumerable<EcP256PublicKey> trustedKeys, EcdsaP256VerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        foreach (EcP256PublicKey key in trustedKeys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(trustedKeys));
            ulong id = BinaryPrimitives.ReadUInt64BigEndian(key.KeyId.Span);
            if (_keys.TryGetValue(id, out EcP256PublicKey? existing))
            {
                if (!existing.Equals(key))
                {
                    throw new ArgumentException($"Two different trusted keys share the key id {key.KeyIdHex}; a manifest could not say which one signed it.", nameof(trustedKeys));
                }

                continue;
            }

            _keys.Add(id, key);
        }

        if (_keys.Count == 0)
        {
            throw new ArgumentException("A verifier needs at least one trusted key.", nameof(trustedKeys));
        }

        _requireLowS = options?.RequireLowS ?? false;
    }

    /// <summary>Creates a verifier that trusts <paramref name="trustedKeys"/> with default options.</summary>
    public EcdsaP256Verifier(params EcP256PublicKey[] trustedKeys)
        : this((IEnumerable<EcP256PublicKey>)trustedKeys)
    {
    }

    /// <inheritdoc/>
    public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

    /// <summary>The trusted keys.</summary>
    public IReadOnlyCollection<EcP256PublicKey> TrustedKeys => _keys.Values;

    /// <summary>True when signatures with s above n/2 are refused.</summary>
    public bool RequireLowS => _requireLowS;

    /// <inheritdoc/>
    public bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId) =>
        TryGetKey(keyId, out EcP256PublicKey? key)
        && EcdsaCore.Verify(key!.Parameters, manifest, authenticationBlock, _requireLowS);

    /// <summary>Like <see cref="Verify"/>, for a caller that already hashed the manifest with SHA-256.</summary>
    public bool VerifyDigest(ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId) =>
        TryGetKey(keyId, out EcP256PublicKey? key)
        && EcdsaCore.VerifyDigest(key!.Parameters, sha256Digest, authenticationBlock, _requireLowS);

    /// <inheritdoc/>
    public bool HasKey(ReadOnlySpan<byte> keyId) => TryGetKey(keyId, out _);

    /// <summary>Finds the trusted key with id <paramref name="keyId"/>; false for an unknown id or one that is not 8 bytes.</summary>
    public bool TryGetKey(ReadOnlySpan<byte> keyId, out EcP256PublicKey? key)
    {
        key = null;
        return keyId.Length == EcP256PublicKey.KeyIdLength
            && _keys.TryGetValue(BinaryPrimitives.ReadUInt64BigEndian(keyId), out key);
    }
}

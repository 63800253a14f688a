using Csa.Bootloader.Provisioning;
using Csa.Crypto.Internal;

namespace Csa.Crypto;

/// <summary>
/// The production key from a PEM (or DER) key file, for development and small shops: signs device certificates with
/// ECDSA P-256 (RFC 6979 deterministic nonces, low-S). In production implement <see cref="IProductionSigner"/> over an
/// HSM instead, so the production key never exists in a file.
/// </summary>
public sealed class PemProductionSigner : IProductionSigner
{
    private readonly EcP256PrivateKey _key;

    /// <summary>Creates a signer for <paramref name="productionKey"/> (a <see cref="KeyRole.Production"/> key).</summary>
    public PemProductionSigner(EcP256PrivateKey productionKey)
    {
        ArgumentNullException.ThrowIfNull(productionKey);
        _key = productionKey;
    }

    /// <summary>Loads the production key from a PEM or DER key file.</summary>
    /// <exception cref="KeyFormatException">The file is not a P-256 private key; says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PemProductionSigner FromKeyFile(string path) => new(EcP256PrivateKey.Load(path));

    /// <summary>The production public key.</summary>
    public EcP256PublicKey ProductionPublicKey => _key.PublicKey;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> PublicKey => _key.PublicKey.UncompressedPoint;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> KeyId => _key.PublicKey.KeyId;

    /// <inheritdoc />
    public Task<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (sha256Digest.Length != 32)
            throw new ArgumentException($"A SHA-256 digest is 32 bytes, not {sha256Digest.Length}.", nameof(sha256Digest));
        return Task.FromResult(EcdsaCore.SignDigest(_key.Parameters, sha256Digest.Span));
    }
}

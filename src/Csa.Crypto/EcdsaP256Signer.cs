using Csa.Bootloader.Images;
using Csa.Crypto.Internal;

namespace Csa.Crypto;

/// <summary>
/// Signs image manifests with ECDSA P-256 over SHA-256 using a private key held in this process (a key file).
/// Signatures are deterministic (RFC 6979) and low-S; the authentication block is the 64-byte r||s.
/// For an HSM or a remote signing service, implement <see cref="IImageSigner"/> instead.
/// </summary>
public sealed class EcdsaP256Signer : IImageSigner
{
    private readonly EcP256PrivateKey _key;

    /// <summary>Creates a signer for <paramref name="privateKey"/> (a <see cref="KeyRole.FirmwareSigning"/> key).</summary>
    public EcdsaP256Signer(EcP256PrivateKey privateKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        _key = privateKey;
    }

    /// <inheritdoc/>
    public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> KeyId => _key.PublicKey.KeyId;

    /// <summary>The public key devices must trust to accept what this signer signs.</summary>
    public EcP256PublicKey PublicKey => _key.PublicKey;

    /// <summary>Loads the private key from a PEM (or DER) key file and creates a signer for it.</summary>
    /// <exception cref="KeyFormatException">The file is not a P-256 private key; says why.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static EcdsaP256Signer FromKeyFile(string path) => new(EcP256PrivateKey.Load(path));

    /// <summary>Returns the 64-byte r||s signature over SHA-256(<paramref name="manifest"/>).</summary>
    public byte[] Sign(ReadOnlySpan<byte> manifest) => EcdsaCore.Sign(_key.Parameters, manifest);

    /// <summary>Returns the 64-byte r||s signature over a SHA-256 digest the caller computed.</summary>
    /// <exception cref="ArgumentException"><paramref name="sha256Digest"/> is not 32 bytes.</exception>
    public byte[] SignDigest(ReadOnlySpan<byte> sha256Digest) => EcdsaCore.SignDigest(_key.Parameters, sha256Digest);

    /// <inheritdoc/>
    public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default)
    {
        // Signing is a few hundred microseconds of CPU; running it inline beats a thread-pool hop.
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Sign(manifest.Span));
    }
}

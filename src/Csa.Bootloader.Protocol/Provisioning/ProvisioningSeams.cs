namespace Csa.Bootloader.Provisioning;

/// <summary>
/// The production key: signs device certificates at the production station. Implement it over an HSM or a remote
/// signing service (the private key never needs to be in this process); Csa.Crypto's <c>PemProductionSigner</c> uses a
/// PEM key file, for development and small shops.
/// </summary>
public interface IProductionSigner
{
    /// <summary>The production public key as the 65-byte uncompressed P-256 point 0x04 || X || Y.</summary>
    ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The 8-byte key id: the first 8 bytes of SHA-256 over <see cref="PublicKey"/>.</summary>
    ReadOnlyMemory<byte> KeyId { get; }

    /// <summary>Returns the ECDSA P-256 signature r || s (64 bytes) over a SHA-256 digest the caller computed.</summary>
    /// <param name="sha256Digest">32 bytes: SHA-256 of the certificate's signed part.</param>
    /// <param name="cancellationToken">Stops waiting for the signer.</param>
    Task<byte[]> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default);
}

/// <summary>
/// Checks an ECDSA P-256 signature (r || s) over a SHA-256 digest under a given public key. Csa.Crypto's
/// <c>EcdsaP256SignatureVerifier</c> implements it; it is a seam so that Csa.Bootloader.Protocol pulls in no cryptography library.
/// Provisioning accepts low-S signatures only (docs/security.md section 10.2): <see cref="ProductionTrustAnchor"/> and
/// <c>ProvisioningStation</c> refuse s above n/2 themselves, whatever an implementation accepts.
/// </summary>
public interface IP256SignatureVerifier
{
    /// <summary>
    /// True when <paramref name="signature"/> (64 bytes r || s) is valid for <paramref name="sha256Digest"/> under
    /// <paramref name="publicKey"/> (the 65-byte uncompressed point). False for any bad input; never throws for it.
    /// </summary>
    bool VerifyDigest(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> signature);
}

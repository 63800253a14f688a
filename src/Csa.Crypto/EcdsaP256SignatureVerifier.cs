using Csa.Bootloader.Provisioning;
using Csa.Crypto.Internal;

namespace Csa.Crypto;

/// <summary>
/// ECDSA P-256 verification under a key given with each call (device certificates, challenge answers, proofs of
/// possession): the <see cref="IP256SignatureVerifier"/> seam of Csa.Bootloader.Protocol's provisioning contract. The public key is
/// validated on the curve first; any bad input returns false. Only low-S signatures (s ≤ n/2) are accepted: a
/// certificate or an answer has exactly one valid encoding, so (r, n - s) is not a second, different-looking copy of
/// the same certificate (the device and the station hold certificates byte for byte, and the station normalises an HSM's
/// high-S output before it writes the certificate; docs/security.md section 10.2).
/// </summary>
public sealed class EcdsaP256SignatureVerifier : IP256SignatureVerifier
{
    /// <summary>The shared instance (it holds no state).</summary>
    public static EcdsaP256SignatureVerifier Instance { get; } = new();

    /// <inheritdoc />
    public bool VerifyDigest(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> signature) =>
        sha256Digest.Length == 32
        && EcP256PublicKey.TryFromUncompressedPoint(publicKey, out EcP256PublicKey? key)
        && EcdsaCore.VerifyDigest(key!.Parameters, sha256Digest, signature, requireLowS: true);

    /// <summary>A trust anchor for device certificates that trusts <paramref name="productionKeys"/>.</summary>
    /// <exception cref="ArgumentException">No key given, or two keys share a key id.</exception>
    public static ProductionTrustAnchor TrustAnchor(params EcP256PublicKey[] productionKeys)
    {
        ArgumentNullException.ThrowIfNull(productionKeys);
        return new ProductionTrustAnchor(productionKeys.Select(k => k.UncompressedPoint), Instance);
    }
}

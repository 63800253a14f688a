namespace Csa.Crypto;

/// <summary>Settings of an <see cref="EcdsaP256Verifier"/>.</summary>
public sealed record EcdsaP256VerifierOptions
{
    /// <summary>
    /// When true, signatures whose s is above n/2 are refused, so every (manifest, key) pair has exactly one
    /// accepted signature. Default false: standard ECDSA (FIPS 186-5) accepts both (r, s) and (r, n - s), which
    /// is what openssl and HSMs produce, and malleability does not matter here because an image is identified by
    /// its manifest digest, never by its signature bytes (docs/security.md, "Low-S policy").
    /// </summary>
    public bool RequireLowS { get; init; }
}

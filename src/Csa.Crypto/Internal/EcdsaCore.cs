using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;

namespace Csa.Crypto.Internal;

/// <summary>ECDSA P-256 over SHA-256 with raw r||s signatures (IEEE P1363: r and s as 32 big-endian bytes each).</summary>
internal static class EcdsaCore
{
    /// <summary>Bytes in a raw signature.</summary>
    public const int SignatureLength = 2 * P256.FieldLength;

    /// <summary>Bytes in a SHA-256 digest.</summary>
    public const int DigestLength = 32;

    /// <summary>
    /// Signs a SHA-256 digest with a deterministic nonce (RFC 6979, HMAC-SHA256 DRBG) and returns r||s with
    /// s normalised to the lower half of [1, n-1].
    /// </summary>
    public static byte[] SignDigest(ECPrivateKeyParameters key, ReadOnlySpan<byte> digest)
    {
        if (digest.Length != DigestLength)
        {
            throw new ArgumentException($"A SHA-256 digest is {DigestLength} bytes, not {digest.Length}.", nameof(digest));
        }

        // RFC 6979: k = HMAC-DRBG(d, H(m)). The nonce never depends on the host's random generator, so a weak or
        // repeated RNG state at signing time cannot leak the signing key (two signatures with one k reveal d),
        // and the same manifest signed twice gives the same bytes, which keeps release images reproducible.
        var signer = new ECDsaSigner(new HMacDsaKCalculator(new Sha256Digest()));
        signer.Init(true, key);
        BigInteger[] rs = signer.GenerateSignature(digest.ToArray());
        BigInteger r = rs[0];
        BigInteger s = rs[1];

        // Emit the low-S form (s <= n/2), the canonical one of the two valid signatures (r, s) and (r, n - s), so
        // a device that insists on low S (EcdsaP256VerifierOptions.RequireLowS) accepts what we sign.
        if (s.CompareTo(P256.HalfN) > 0)
        {
            s = P256.N.Subtract(s);
        }

        byte[] signature = new byte[SignatureLength];
        P256.WriteScalar(r, signature.AsSpan(0, P256.FieldLength));
        P256.WriteScalar(s, signature.AsSpan(P256.FieldLength, P256.FieldLength));
        return signature;
    }

    /// <summary>Signs SHA-256(<paramref name="message"/>).</summary>
    public static byte[] Sign(ECPrivateKeyParameters key, ReadOnlySpan<byte> message)
    {
        Span<byte> digest = stackalloc byte[DigestLength];
        SHA256.HashData(message, digest);
        return SignDigest(key, digest);
    }

    /// <summary>
    /// Verifies a raw r||s signature over a SHA-256 digest. Rejects, without throwing, anything that is not exactly
    /// 64 bytes, r or s outside [1, n-1] (this is where r = 0 / s = 0 forgeries such as CVE-2022-21449 die), and,
    /// when <paramref name="requireLowS"/>, an s above n/2.
    /// </summary>
    public static bool VerifyDigest(ECPublicKeyParameters key, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature, bool requireLowS)
    {
        if (signature.Length != SignatureLength || digest.Length != DigestLength)
        {
            return false;
        }

        BigInteger r = P256.ReadScalar(signature[..P256.FieldLength]);
        BigInteger s = P256.ReadScalar(signature[P256.FieldLength..]);
        if (!P256.IsInScalarRange(r) || !P256.IsInScalarRange(s))
        {
            return false;
        }

        if (requireLowS && s.CompareTo(P256.HalfN) > 0)
        {
            return false;
        }

        try
        {
            var verifier = new ECDsaSigner();
            verifier.Init(false, key);
            return verifier.VerifySignature(digest.ToArray(), r, s);
        }
        catch (ArithmeticException)
        {
            // Defence in depth: the contract is "never throws for bad input".
            return false;
        }
    }

    /// <summary>Verifies a raw r||s signature over SHA-256(<paramref name="message"/>).</summary>
    public static bool Verify(ECPublicKeyParameters key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature, bool requireLowS)
    {
        Span<byte> digest = stackalloc byte[DigestLength];
        SHA256.HashData(message, digest);
        return VerifyDigest(key, digest, signature, requireLowS);
    }
}

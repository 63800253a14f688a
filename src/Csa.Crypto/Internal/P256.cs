using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.EC;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Math.EC.Multiplier;
using Org.BouncyCastle.Utilities;

namespace Csa.Crypto.Internal;

/// <summary>
/// The NIST P-256 (secp256r1, prime256v1) domain and the strict encodings this SDK accepts. Every point or
/// scalar that enters the library from outside passes through here, so the validity rules live in one place.
/// </summary>
internal static class P256
{
    /// <summary>Bytes in a field element or scalar.</summary>
    public const int FieldLength = 32;

    /// <summary>Bytes in an uncompressed SEC 1 point: 0x04 || X || Y.</summary>
    public const int UncompressedPointLength = 1 + (2 * FieldLength);

    /// <summary>OID 1.2.840.10045.3.1.7.</summary>
    public static readonly DerObjectIdentifier CurveOid = X9ObjectIdentifiers.Prime256v1;

    /// <summary>OID 1.2.840.10045.2.1 (id-ecPublicKey), the algorithm of every EC key structure.</summary>
    public static readonly DerObjectIdentifier EcPublicKeyOid = X9ObjectIdentifiers.IdECPublicKey;

    // The custom curve implementation uses P-256-specific field arithmetic: several times faster than the
    // generic Fp curve from the X9 table, with the same domain constants.
    private static readonly X9ECParameters Curve = CustomNamedCurves.GetByOid(CurveOid);

    /// <summary>The domain parameters, named so BouncyCastle writes the named-curve OID into key structures.</summary>
    public static readonly ECNamedDomainParameters Domain = new(CurveOid, Curve);

    /// <summary>The group order n.</summary>
    public static BigInteger N => Domain.N;

    /// <summary>n / 2 (floor): the largest "low" s value.</summary>
    public static readonly BigInteger HalfN = Domain.N.ShiftRight(1);

    /// <summary>True when <paramref name="value"/> is in [1, n-1], the range of private keys, r and s.</summary>
    public static bool IsInScalarRange(BigInteger value) => value.SignValue > 0 && value.CompareTo(N) < 0;

    /// <summary>Reads a 32-byte big-endian unsigned integer.</summary>
    public static BigInteger ReadScalar(ReadOnlySpan<byte> bytes) => new(1, bytes.ToArray());

    /// <summary>Writes <paramref name="value"/> (known to be below 2^256) as exactly 32 big-endian bytes.</summary>
    public static void WriteScalar(BigInteger value, Span<byte> destination)
    {
        BigIntegers.AsUnsignedByteArray(FieldLength, value).CopyTo(destination);
    }

    /// <summary>
    /// Decodes an uncompressed point (0x04 || X || Y, 65 bytes) and checks that it is on the curve and not the
    /// point at infinity. Returns null for anything else: compressed or hybrid forms, wrong lengths, coordinates
    /// not below p, points off the curve. Invalid-curve attacks on ECDH start exactly where this check is missing.
    /// </summary>
    public static ECPoint? TryDecodeUncompressed(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length != UncompressedPointLength || encoded[0] != 0x04)
        {
            return null;
        }

        return TryDecode(encoded);
    }

    /// <summary>
    /// Decodes a point in the two SEC 1 forms this SDK accepts, uncompressed (0x04 || X || Y, 65 bytes) and
    /// compressed (0x02 or 0x03 || X, 33 bytes), and validates it. Used only for the SubjectPublicKeyInfo of a key
    /// file, where openssl may have written the compressed form. The hybrid forms (0x06/0x07) are refused: nothing
    /// writes them, and accepting a third spelling of one key only widens what a parser must get right.
    /// </summary>
    public static ECPoint? TryDecode(ReadOnlySpan<byte> encoded) => TryDecode(encoded, out _);

    /// <summary>Like <see cref="TryDecode(ReadOnlySpan{byte})"/>, and says what is wrong when it returns null.</summary>
    public static ECPoint? TryDecode(ReadOnlySpan<byte> encoded, out string problem)
    {
        int expected;
        switch (encoded.IsEmpty ? -1 : encoded[0])
        {
            case -1:
                problem = "the point is empty";
                return null;
            case 0x04:
                expected = UncompressedPointLength;
                break;
            case 0x02 or 0x03:
                expected = 1 + FieldLength;
                break;
            case 0x06 or 0x07:
                problem = $"the point is in the hybrid form (first byte 0x{encoded[0]:X2}); only uncompressed (0x04) and compressed (0x02, 0x03) points are accepted";
                return null;
            default:
                problem = $"the point's first byte is 0x{encoded[0]:X2}, which is no SEC 1 point form (0x04 uncompressed, 0x02 or 0x03 compressed)";
                return null;
        }

        if (encoded.Length != expected)
        {
            problem = $"a point starting with 0x{encoded[0]:X2} is {expected} bytes, not {encoded.Length}";
            return null;
        }

        ECPoint point;
        try
        {
            point = Domain.Curve.DecodePoint(encoded.ToArray());
        }
        catch (Exception e) when (e is ArgumentException or ArithmeticException or FormatException)
        {
            problem = "the point is not on P-256 (or a coordinate is not below the field prime)";
            return null;
        }

        // DecodePoint already rejects most malformed input; check again so the rule does not depend on it.
        if (point.IsInfinity || !point.IsValid())
        {
            problem = "the point is not on P-256, or is the point at infinity";
            return null;
        }

        problem = string.Empty;
        return point.Normalize();
    }

    /// <summary>Encodes a finite point as 0x04 || X || Y.</summary>
    public static byte[] EncodeUncompressed(ECPoint point) => point.Normalize().GetEncoded(compressed: false);

    /// <summary>d·G.</summary>
    public static ECPoint PublicPointOf(BigInteger privateScalar) =>
        new FixedPointCombMultiplier().Multiply(Domain.G, privateScalar).Normalize();

    /// <summary>
    /// The ECDH shared secret: the X coordinate of d·Q as 32 bytes (SEC 1 §3.3.1, the "Z" of NIST SP 800-56A).
    /// Returns false only if the product is the point at infinity, which cannot happen for a validated point
    /// on this prime-order curve and a scalar in range; the check stays because it costs nothing.
    /// </summary>
    public static bool TrySharedSecret(BigInteger privateScalar, ECPoint peerPoint, Span<byte> sharedX)
    {
        ECPoint product = peerPoint.Multiply(privateScalar).Normalize();
        if (product.IsInfinity)
        {
            return false;
        }

        WriteScalar(product.AffineXCoord.ToBigInteger(), sharedX);
        return true;
    }
}

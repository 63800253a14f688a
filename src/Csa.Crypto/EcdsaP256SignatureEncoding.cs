using Csa.Crypto.Internal;

namespace Csa.Crypto;

/// <summary>
/// Converts ECDSA P-256 signatures between the raw r||s form images carry (64 bytes, IEEE P1363) and the DER
/// form openssl, X.509 and most HSM APIs use (RFC 3279 ECDSA-Sig-Value). DER input must be strict DER.
/// </summary>
public static class EcdsaP256SignatureEncoding
{
    /// <summary>Bytes in a raw r||s signature.</summary>
    public const int RawLength = EcdsaCore.SignatureLength;

    /// <summary>Encodes a 64-byte r||s signature as DER.</summary>
    /// <exception cref="SignatureFormatException">The input is not 64 bytes, or r or s is zero.</exception>
    public static byte[] ToDer(ReadOnlySpan<byte> rawSignature)
    {
        if (rawSignature.Length != RawLength)
        {
            throw new SignatureFormatException($"A raw P-256 signature is {RawLength} bytes (r||s), not {rawSignature.Length}.");
        }

        if (!rawSignature[..32].ContainsAnyExcept((byte)0) || !rawSignature[32..].ContainsAnyExcept((byte)0))
        {
            throw new SignatureFormatException("r and s of an ECDSA signature are never zero.");
        }

        return DerSignature.Encode(rawSignature);
    }

    /// <summary>Decodes a strict-DER signature into 64-byte r||s.</summary>
    /// <exception cref="SignatureFormatException">Not strict DER, or r or s longer than 32 bytes.</exception>
    public static byte[] FromDer(ReadOnlySpan<byte> derSignature) =>
        TryFromDer(derSignature, out byte[]? raw)
            ? raw!
            : throw new SignatureFormatException("The signature is not a strict-DER ECDSA-Sig-Value with r and s of at most 32 bytes.");

    /// <summary>Like <see cref="FromDer"/>, but returns false instead of throwing.</summary>
    public static bool TryFromDer(ReadOnlySpan<byte> derSignature, out byte[]? rawSignature)
    {
        byte[] raw = new byte[RawLength];
        if (DerSignature.TryDecode(derSignature, raw))
        {
            rawSignature = raw;
            return true;
        }

        rawSignature = null;
        return false;
    }
}

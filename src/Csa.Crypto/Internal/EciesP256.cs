using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Math;
using ECPoint = Org.BouncyCastle.Math.EC.ECPoint;

namespace Csa.Crypto.Internal;

/// <summary>
/// ECIES key wrap on P-256 for 32-byte content keys (docs/security.md, "Content-key wrap"):
/// <code>
/// E   = e·G                                   (ephemeral key pair, fresh per wrap)
/// Z   = x(e·R)                                (32 bytes; R = recipient device public key)
/// OKM = HKDF-SHA256(IKM = Z, salt = "", info = Label || context || E || R, L = 64)
/// Kx  = OKM[0..32], Km = OKM[32..64]
/// C   = contentKey XOR Kx
/// T   = HMAC-SHA256(Km, E || C || context)
/// block = E (65) || C (32) || T (32)          (129 bytes)
/// </code>
/// </summary>
internal static class EciesP256
{
    public const int ContentKeyLength = 32;
    public const int ContextLength = 32;
    public const int TagLength = 32;
    public const int WrappedLength = P256.UncompressedPointLength + ContentKeyLength + TagLength;

    /// <summary>The HKDF info label, ASCII without a terminator. Versioned so a future construction cannot collide.</summary>
    public static ReadOnlySpan<byte> Label => "Csa ECIES-P256 content key v1"u8;

    private const int OkmLength = ContentKeyLength + 32;

    public static byte[] Wrap(ReadOnlySpan<byte> contentKey, EcP256PublicKey recipient, ReadOnlySpan<byte> context, BigInteger ephemeralScalar)
    {
        byte[] ephemeralPoint = P256.EncodeUncompressed(P256.PublicPointOf(ephemeralScalar));
        Span<byte> shared = stackalloc byte[P256.FieldLength];
        Span<byte> okm = stackalloc byte[OkmLength];
        try
        {
            if (!P256.TrySharedSecret(ephemeralScalar, recipient.Point, shared))
            {
                throw new CryptographicException("ECDH produced the point at infinity.");
            }

            Derive(shared, context, ephemeralPoint, recipient.UncompressedPoint.Span, okm);

            byte[] block = new byte[WrappedLength];
            ephemeralPoint.CopyTo(block, 0);
            Span<byte> encryptedKey = block.AsSpan(P256.UncompressedPointLength, ContentKeyLength);
            AesCtr.Xor(contentKey, okm[..ContentKeyLength], encryptedKey);
            ComputeTag(okm[ContentKeyLength..], block.AsSpan(0, P256.UncompressedPointLength + ContentKeyLength), context, block.AsSpan(WrappedLength - TagLength));
            return block;
        }
        finally
        {
            shared.Clear();
            okm.Clear();
        }
    }

    /// <summary>
    /// Checks and opens a wrapped block. Any malformed, foreign or tampered block gives false; the content key is
    /// written only after the tag has been compared in constant time.
    /// </summary>
    public static bool TryUnwrap(BigInteger recipientScalar, ReadOnlySpan<byte> recipientPoint, ReadOnlySpan<byte> block, ReadOnlySpan<byte> context, Span<byte> contentKey)
    {
        if (block.Length != WrappedLength || context.Length != ContextLength)
        {
            return false;
        }

        ReadOnlySpan<byte> ephemeralPoint = block[..P256.UncompressedPointLength];
        ECPoint? ephemeral = P256.TryDecodeUncompressed(ephemeralPoint);
        if (ephemeral is null)
        {
            return false; // not on the curve: an invalid-curve probe of our private key, or corruption
        }

        Span<byte> shared = stackalloc byte[P256.FieldLength];
        Span<byte> okm = stackalloc byte[OkmLength];
        Span<byte> expectedTag = stackalloc byte[TagLength];
        try
        {
            if (!P256.TrySharedSecret(recipientScalar, ephemeral, shared))
            {
                return false;
            }

            Derive(shared, context, ephemeralPoint, recipientPoint, okm);
            ComputeTag(okm[ContentKeyLength..], block[..(P256.UncompressedPointLength + ContentKeyLength)], context, expectedTag);
            if (!CryptographicOperations.FixedTimeEquals(expectedTag, block[(WrappedLength - TagLength)..]))
            {
                return false;
            }

            AesCtr.Xor(block.Slice(P256.UncompressedPointLength, ContentKeyLength), okm[..ContentKeyLength], contentKey);
            return true;
        }
        finally
        {
            shared.Clear();
            okm.Clear();
        }
    }

    /// <summary>HKDF-SHA256 with an empty salt and info = Label || context || E || R.</summary>
    internal static void Derive(ReadOnlySpan<byte> sharedX, ReadOnlySpan<byte> context, ReadOnlySpan<byte> ephemeralPoint, ReadOnlySpan<byte> recipientPoint, Span<byte> okm)
    {
        Span<byte> info = stackalloc byte[Label.Length + ContextLength + (2 * P256.UncompressedPointLength)];
        int position = 0;
        Label.CopyTo(info);
        position += Label.Length;
        context.CopyTo(info[position..]);
        position += ContextLength;
        ephemeralPoint.CopyTo(info[position..]);
        position += P256.UncompressedPointLength;
        recipientPoint.CopyTo(info[position..]);

        // RFC 5869: an empty salt means HashLen zero bytes. The shared secret is already uniformly hard to guess;
        // everything that must be bound (who, for which image) goes into info.
        HmacSha256.Hkdf(sharedX, salt: ReadOnlySpan<byte>.Empty, info, okm);
    }

    private static void ComputeTag(ReadOnlySpan<byte> macKey, ReadOnlySpan<byte> ephemeralAndEncryptedKey, ReadOnlySpan<byte> context, Span<byte> tag) =>
        HmacSha256.Compute(macKey, ephemeralAndEncryptedKey, context, tag);

    /// <summary>The label as a string, for documentation and diagnostics.</summary>
    public static string LabelText => Encoding.ASCII.GetString(Label);
}

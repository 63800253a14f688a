using System.Security.Cryptography;

namespace Csa.Crypto.Internal;

/// <summary>HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) as the key wrap uses them.</summary>
internal static class HmacSha256
{
    public const int TagLength = 32;

    /// <summary>RFC 5869 limit: 255 blocks of the hash output.</summary>
    public const int MaxHkdfOutput = 255 * TagLength;

    /// <summary>HMAC-SHA256(key, part1 || part2) into <paramref name="tag"/> (32 bytes).</summary>
    public static void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2, Span<byte> tag)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        hmac.AppendData(part1);
        hmac.AppendData(part2);
        hmac.GetHashAndReset(tag);
    }

    /// <summary>
    /// True when <paramref name="expectedTag"/> equals the leading bytes of HMAC-SHA256(key, message), compared in
    /// constant time. Tags shorter than 16 bytes are refused outright (the key wrap itself always uses all 32).
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> expectedTag)
    {
        if (expectedTag.Length is < 16 or > TagLength)
        {
            return false;
        }

        Span<byte> tag = stackalloc byte[TagLength];
        Compute(key, message, ReadOnlySpan<byte>.Empty, tag);
        return CryptographicOperations.FixedTimeEquals(tag[..expectedTag.Length], expectedTag);
    }

    /// <summary>HKDF-SHA256 (extract then expand). An empty salt means 32 zero bytes (RFC 5869 §2.2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">More than 8160 bytes requested, or none.</exception>
    public static void Hkdf(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info, Span<byte> output)
    {
        if (output.Length is 0 or > MaxHkdfOutput)
        {
            throw new ArgumentOutOfRangeException(nameof(output), output.Length, $"HKDF-SHA256 yields 1 to {MaxHkdfOutput} bytes.");
        }

        HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, output, salt, info);
    }
}

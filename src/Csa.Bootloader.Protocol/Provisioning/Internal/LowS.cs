using System.Numerics;

namespace Csa.Bootloader.Provisioning.Internal;

/// <summary>
/// The low-S form of a P-256 signature r ‖ s (64 bytes, big-endian): s above n/2 becomes n - s, which verifies the same
/// way. Pure arithmetic on the group order, so Csa.Bootloader.Protocol needs no cryptography library for it.
/// </summary>
internal static class LowS
{
    /// <summary>The order n of the P-256 group.</summary>
    private static readonly BigInteger s_n = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    private static readonly BigInteger s_halfN = s_n >> 1;

    /// <summary>True when <paramref name="signature"/> is 64 bytes with s in (n/2, n).</summary>
    public static bool IsHigh(ReadOnlySpan<byte> signature)
    {
        if (signature.Length != 64)
            return false;
        var s = new BigInteger(signature[32..], isUnsigned: true, isBigEndian: true);
        return s > s_halfN && s < s_n;
    }

    /// <summary>
    /// <paramref name="signature"/> with s replaced by n - s when s is high; anything else (low S, a wrong length, s out
    /// of range) is returned unchanged, for the verification that follows to judge.
    /// </summary>
    public static byte[] Normalize(byte[] signature)
    {
        if (!IsHigh(signature))
            return signature;
        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        byte[] result = (byte[])signature.Clone();
        Array.Clear(result, 32, 32);
        byte[] low = (s_n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        low.CopyTo(result, 64 - low.Length);
        return result;
    }
}

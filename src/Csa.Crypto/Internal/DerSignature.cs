namespace Csa.Crypto.Internal;

/// <summary>
/// Strict DER for ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3) on P-256.
/// Exactly one encoding per (r, s) is accepted: BER length forms, leading zero bytes that are not needed,
/// negative integers, other tags and trailing bytes are all refused.
/// </summary>
internal static class DerSignature
{
    // SEQUENCE header (2) + two INTEGERs of at most 2 + 33 bytes each.
    public const int MaxLength = 2 + (2 * (2 + 33));

    public static bool TryDecode(ReadOnlySpan<byte> der, Span<byte> raw)
    {
        if (der.Length < 8 || der.Length > MaxLength || der[0] != 0x30)
        {
            return false;
        }

        // Content is at most 70 bytes, so DER demands the short length form; 0x81 xx would be BER.
        int contentLength = der[1];
        if (contentLength >= 0x80 || contentLength != der.Length - 2)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = der[2..];
        return TryReadInteger(ref rest, raw[..P256.FieldLength])
            && TryReadInteger(ref rest, raw.Slice(P256.FieldLength, P256.FieldLength))
            && rest.IsEmpty;
    }

    public static byte[] Encode(ReadOnlySpan<byte> raw)
    {
        ReadOnlySpan<byte> r = TrimLeadingZeros(raw[..P256.FieldLength]);
        ReadOnlySpan<byte> s = TrimLeadingZeros(raw[P256.FieldLength..]);
        int rLength = r.Length + ((r[0] & 0x80) != 0 ? 1 : 0);
        int sLength = s.Length + ((s[0] & 0x80) != 0 ? 1 : 0);
        byte[] der = new byte[2 + 2 + rLength + 2 + sLength];
        der[0] = 0x30;
        der[1] = (byte)(der.Length - 2);
        int position = 2;
        WriteInteger(der, ref position, r, rLength);
        WriteInteger(der, ref position, s, sLength);
        return der;
    }

    private static bool TryReadInteger(ref ReadOnlySpan<byte> input, Span<byte> value32)
    {
        if (input.Length < 3 || input[0] != 0x02)
        {
            return false;
        }

        int length = input[1];
        if (length == 0 || length > 33 || length > input.Length - 2)
        {
            return false;
        }

        ReadOnlySpan<byte> content = input.Slice(2, length);
        if ((content[0] & 0x80) != 0)
        {
            return false; // negative
        }

        if (content[0] == 0x00 && length > 1)
        {
            if ((content[1] & 0x80) == 0)
            {
                return false; // a leading zero that is not needed for the sign: not minimal
            }

            content = content[1..];
        }

        if (content.Length > P256.FieldLength)
        {
            return false;
        }

        value32.Clear();
        content.CopyTo(value32[(P256.FieldLength - content.Length)..]);
        input = input[(2 + length)..];
        return true;
    }

    private static ReadOnlySpan<byte> TrimLeadingZeros(ReadOnlySpan<byte> value)
    {
        int i = 0;
        while (i < value.Length - 1 && value[i] == 0)
        {
            i++;
        }

        return value[i..];
    }

    private static void WriteInteger(byte[] der, ref int position, ReadOnlySpan<byte> magnitude, int length)
    {
        der[position++] = 0x02;
        der[position++] = (byte)length;
        if (length > magnitude.Length)
        {
            der[position++] = 0x00;
        }

        magnitude.CopyTo(der.AsSpan(position));
        position += magnitude.Length;
    }
}

namespace Csa.DataLink;

/// <summary>
/// CRC-32/MPEG-2: polynomial 0x04C11DB7, initial value 0xFFFFFFFF, not reflected, no final XOR; check value
/// 0x0376E6E7. It is what the STM32 CRC peripheral computes with its reset configuration, so firmware checks
/// frames and images in hardware. Table-driven, eight bytes per step ("slicing by 8").
/// </summary>
public static class Crc32Mpeg2
{
    /// <summary>The initial register value.</summary>
    public const uint Initial = 0xFFFFFFFF;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(Initial, data);

    /// <summary>
    /// Continues a CRC over more data: <c>Append(Append(Initial, a), b) == Compute(a + b)</c>. Start with
    /// <see cref="Initial"/>; the result needs no final step.
    /// </summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<uint> t = Table;
        while (data.Length >= 8)
        {
            uint hi = crc ^ (uint)(data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3]);
            uint lo = (uint)(data[4] << 24 | data[5] << 16 | data[6] << 8 | data[7]);
            crc = t[(7 * 256) + (int)(hi >> 24)] ^ t[(6 * 256) + (int)((hi >> 16) & 0xFF)]
                ^ t[(5 * 256) + (int)((hi >> 8) & 0xFF)] ^ t[(4 * 256) + (int)(hi & 0xFF)]
                ^ t[(3 * 256) + (int)(lo >> 24)] ^ t[(2 * 256) + (int)((lo >> 16) & 0xFF)]
                ^ t[256 + (int)((lo >> 8) & 0xFF)] ^ t[(int)(lo & 0xFF)];
            data = data[8..];
        }
        foreach (byte b in data)
            crc = (crc << 8) ^ t[(int)((crc >> 24) ^ b)];
        return crc;
    }

    private static uint[] BuildTable()
    {
        const uint polynomial = 0x04C11DB7;
        var table = new uint[8 * 256];
        for (int i = 0; i < 256; i++)
        {
            uint c = (uint)i << 24;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 0x80000000) != 0 ? (c << 1) ^ polynomial : c << 1;
            table[i] = c;
        }
        // table[k*256 + i]: the CRC of byte i followed by k zero bytes.
        for (int k = 1; k < 8; k++)
            for (int i = 0; i < 256; i++)
            {
                uint prev = table[((k - 1) * 256) + i];
                table[(k * 256) + i] = (prev << 8) ^ table[(int)(prev >> 24)];
            }
        return table;
    }
}

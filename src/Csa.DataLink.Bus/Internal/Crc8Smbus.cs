namespace Csa.DataLink.Bus.Internal;

/// <summary>
/// CRC-8/SMBUS (polynomial 0x07, initial value 0, not reflected, no final XOR; check value 0xF4 for "123456789"): the
/// SMBus packet error code, which the STM32 I2C peripheral computes in hardware (PEC). Protects the bus headers.
/// </summary>
internal static class Crc8Smbus
{
    private static readonly byte[] s_table = BuildTable();

    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte crc = 0;
        foreach (byte b in data)
            crc = s_table[crc ^ b];
        return crc;
    }

    private static byte[] BuildTable()
    {
        var table = new byte[256];
        for (int i = 0; i < 256; i++)
        {
            int c = i;
            for (int bit = 0; bit < 8; bit++)
                c = (c & 0x80) != 0 ? ((c << 1) ^ 0x07) & 0xFF : (c << 1) & 0xFF;
            table[i] = (byte)c;
        }
        return table;
    }
}

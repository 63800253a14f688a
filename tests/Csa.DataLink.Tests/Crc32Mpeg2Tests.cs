using System.Text;
using Csa.DataLink;

namespace Csa.DataLink.Tests;

[Trait("Requirement", "REQ-TAMPER")]
public class Crc32Mpeg2Tests
{
    [Fact]
    public void Check_value_of_123456789_is_0x0376E6E7()
        => Assert.Equal(0x0376E6E7u, Crc32Mpeg2.Compute("123456789"u8));

    [Fact]
    public void Empty_input_leaves_the_initial_value()
        => Assert.Equal(0xFFFFFFFFu, Crc32Mpeg2.Compute([]));

    [Fact]
    public void Sliced_computation_matches_bitwise_reference_for_every_length_and_split()
    {
        var random = new Random(1234);
        var data = new byte[300];
        random.NextBytes(data);
        for (int length = 0; length <= data.Length; length += 7)
        {
            uint expected = Bitwise(data.AsSpan(0, length));
            Assert.Equal(expected, Crc32Mpeg2.Compute(data.AsSpan(0, length)));
            int split = length / 3;
            uint appended = Crc32Mpeg2.Append(Crc32Mpeg2.Append(Crc32Mpeg2.Initial, data.AsSpan(0, split)), data.AsSpan(split, length - split));
            Assert.Equal(expected, appended);
        }
    }

    private static uint Bitwise(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= (uint)b << 24;
            for (int i = 0; i < 8; i++)
                crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
        }
        return crc;
    }
}

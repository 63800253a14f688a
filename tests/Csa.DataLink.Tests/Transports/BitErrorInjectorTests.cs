using Csa.DataLink.Transports.Internal;

namespace Csa.DataLink.Tests.Transports;

[Trait("Requirement", "REQ-TOPO")]
public sealed class BitErrorInjectorTests
{
    [Fact]
    public void A_rate_of_zero_never_flips_a_bit()
    {
        var injector = new BitErrorInjector(0, seed: 1);
        for (int value = 0; value < 256; value++)
        {
            Assert.Equal((byte)value, injector.Apply((byte)value, out int flipped));
            Assert.Equal(0, flipped);
        }
    }

    [Fact]
    public void A_rate_of_one_inverts_every_data_bit()
    {
        var injector = new BitErrorInjector(1, seed: 1);
        for (int value = 0; value < 256; value++)
        {
            Assert.Equal((byte)~value, injector.Apply((byte)value, out int flipped));
            Assert.Equal(8, flipped);
        }
    }

    [Fact]
    public void Errors_hit_every_bit_position_about_equally()
    {
        // 1,000,000 bits at 1 %: ~1250 errors per position, sd ~35; the band is about +-6 sd.
        var injector = new BitErrorInjector(0.01, seed: 2);
        var perPosition = new int[8];
        for (int i = 0; i < 125_000; i++)
        {
            byte result = injector.Apply(0, out _);
            for (int bit = 0; bit < 8; bit++)
            {
                perPosition[bit] += (result >> bit) & 1;
            }
        }

        Assert.All(perPosition, count => Assert.InRange(count, 1040, 1460));
    }
}

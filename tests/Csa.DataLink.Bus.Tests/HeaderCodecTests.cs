using Csa.DataLink.Bus;

namespace Csa.DataLink.Bus.Tests;

public sealed class HeaderCodecTests
{
    [Theory]
    [InlineData(SlaveFlags.None, 0, 0)]
    [InlineData(SlaveFlags.Reset | SlaveFlags.More | SlaveFlags.Overflow, 65535, 65535)]
    [InlineData(SlaveFlags.More, 256, 100)]
    [Trait("Requirement", "REQ-TOPO")]
    public void SlaveHeader_RoundTrips(SlaveFlags flags, int available, int free)
    {
        var header = new SlaveHeader(flags, (ushort)available, (ushort)free);
        byte[] bytes = new byte[6];
        header.Write(bytes);
        Assert.True(SlaveHeader.TryParse(bytes, out SlaveHeader parsed));
        Assert.Equal(header, parsed);
        Assert.Equal(0xA0, bytes[0] & 0xF8);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void SlaveHeader_EveryDamagedOrForeignForm_IsRejected()
    {
        byte[] good = new byte[6];
        new SlaveHeader(SlaveFlags.None, 21, 2048).Write(good);
        Assert.False(SlaveHeader.TryParse(good.AsSpan(0, 5), out _));       // too short
        Assert.False(SlaveHeader.TryParse(new byte[6], out _));             // MISO held low
        Assert.False(SlaveHeader.TryParse([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], out _)); // MISO idle (pull-up)
        for (int bit = 0; bit < 48; bit++)
        {
            byte[] damaged = (byte[])good.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(SlaveHeader.TryParse(damaged, out _), $"a flip of bit {bit} passed");
        }
        // Bit 3 of the status is reserved: a header that sets it (with a correct CRC) is not protocol 1.
        byte[] reserved = [0xA8, 0, 0, 0, 0, 0];
        reserved[5] = Internal.Crc8Smbus.Compute(reserved.AsSpan(0, 5));
        Assert.False(SlaveHeader.TryParse(reserved, out _));
        // A master header looped back from MOSI is never a slave header.
        byte[] master = new byte[6];
        new MasterHeader(20, 20).Write(master);
        Assert.False(SlaveHeader.TryParse(master, out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void MasterHeader_RoundTrips_AndRejectsAWriteLongerThanItsDataArea()
    {
        byte[] bytes = new byte[6];
        new MasterHeader(20, 21).Write(bytes);
        Assert.Equal(Convert.FromHexString("511400150 0B1".Replace(" ", "", StringComparison.Ordinal)), bytes);
        Assert.True(MasterHeader.TryParse(bytes, out MasterHeader parsed));
        Assert.Equal(new MasterHeader(20, 21), parsed);
        new MasterHeader(22, 21).Write(bytes);
        Assert.False(MasterHeader.TryParse(bytes, out _));
        byte[] slave = new byte[6];
        new SlaveHeader(SlaveFlags.None, 0, 0).Write(slave);
        Assert.False(MasterHeader.TryParse(slave, out _));
        Assert.Throws<ArgumentException>(() => new MasterHeader(1, 1).Write(new byte[5]));
    }
}

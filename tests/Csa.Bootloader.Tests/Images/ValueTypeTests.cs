using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

public sealed class ValueTypeTests
{
    [Theory]
    [InlineData("1.2.3", 1, 2, 3, 0u)]
    [InlineData("255.255.65535+4294967295", 255, 255, 65535, 4294967295u)]
    [InlineData(" 0.0.1+7 ", 0, 0, 1, 7u)]
    public void Versions_parse(string text, byte major, byte minor, ushort patch, uint build)
    {
        Assert.Equal(new FirmwareVersion(major, minor, patch, build), FirmwareVersion.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1.2")]
    [InlineData("1.2.3.4")]
    [InlineData("256.0.0")]
    [InlineData("1.2.3+")]
    [InlineData("-1.2.3")]
    [InlineData("1.2.65536")]
    public void Bad_versions_are_refused(string text)
    {
        Assert.Throws<FormatException>(() => FirmwareVersion.Parse(text));
    }

    [Fact]
    public void Versions_order_by_major_minor_patch_build()
    {
        Assert.True(FirmwareVersion.Parse("1.2.3+9") < FirmwareVersion.Parse("1.2.4"));
        Assert.True(FirmwareVersion.Parse("1.10.0") > FirmwareVersion.Parse("1.9.65535+99"));
        Assert.True(FirmwareVersion.Parse("2.0.0") > FirmwareVersion.Parse("1.255.65535+4294967295"));
        Assert.Equal("1.2.3+4", new FirmwareVersion(1, 2, 3, 4).ToString());
    }

    [Fact]
    public void Device_uids_round_trip_through_bytes_words_and_text()
    {
        DeviceUid uid = DeviceUid.Parse("3A:00:24:00-0D51343138393836");
        Assert.Equal("3A0024000D51343138393836", uid.ToString());
        Assert.Equal(uid, DeviceUid.FromWords(0x0024003A, 0x3134510D, 0x36383938));
        Assert.Equal(uid, DeviceUid.FromBytes(uid.ToArray()));
        Assert.NotEqual(uid, DeviceUid.FromWords(0x0024003A, 0x3134510D, 0x36383939));
        Assert.Throws<FormatException>(() => DeviceUid.Parse("3A0024000D513431383938"));
        Assert.Throws<ArgumentException>(() => DeviceUid.FromBytes(new byte[11]));
    }

    [Fact]
    public void The_crc_authenticator_computes_crc32_mpeg2_little_endian_and_refuses_a_key_id()
    {
        byte[] block = Crc32ImageAuthenticator.Instance.Compute("123456789"u8);
        Assert.Equal(new byte[] { 0xE7, 0xE6, 0x76, 0x03 }, block);
        Assert.True(Crc32ImageAuthenticator.Instance.Verify("123456789"u8, block, new byte[8]));
        Assert.False(Crc32ImageAuthenticator.Instance.Verify("123456789"u8, block, [0, 0, 0, 0, 0, 0, 0, 1]));
        Assert.False(Crc32ImageAuthenticator.Instance.Verify("123456788"u8, block, new byte[8]));
        Assert.False(Crc32ImageAuthenticator.Instance.Verify("123456789"u8, block[..3], new byte[8]));
    }
}

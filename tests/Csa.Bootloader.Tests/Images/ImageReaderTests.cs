using System.Buffers.Binary;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

[Trait("Requirement", "REQ-TAMPER")]
public sealed class ImageReaderTests
{
    private static ImageFormatException ParseFails(byte[] image) => Assert.Throws<ImageFormatException>(() => ImageReader.Parse(image));

    private static byte[] Crc() => Golden.Read("golden-crc.hex");

    private static byte[] Ecdsa() => Golden.Read("golden-ecdsa.hex");

    [Theory]
    [InlineData("golden-crc.hex")]
    [InlineData("golden-ecdsa.hex")]
    public void Truncation_at_every_length_is_a_typed_truncated_error(string name)
    {
        byte[] image = Golden.Read(name);
        for (int length = 0; length < image.Length; length++)
        {
            ImageFormatException e = ParseFails(image[..length]);
            Assert.True(e.Error == ImageError.Truncated, $"length {length}: {e.Message}");
            Assert.Equal(length, e.Offset);
        }
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.EXTRA")]
    public async Task Truncation_of_an_encrypted_image_at_every_length_including_its_key_block_is_a_typed_truncated_error()
    {
        FirmwareImage full = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 20, null,
            (ImageFactory.ThisDevice, ImageFactory.ThisDevicePublicKey), (ImageFactory.OtherDevice, ImageFactory.OtherDevicePublicKey));
        byte[] image = full.ToArray();
        for (int length = 0; length < image.Length; length++)
            Assert.Equal(ImageError.Truncated, ParseFails(image[..length]).Error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(64)]
    [Trait("Threat", "THREAT.IMG.EXTRA")]
    public void Appended_bytes_are_trailing_data_at_the_end_of_the_image(int extra)
    {
        byte[] image = Ecdsa();
        ImageFormatException e = ParseFails([.. image, .. new byte[extra]]);

        Assert.Equal(ImageError.TrailingData, e.Error);
        Assert.Equal(image.Length, e.Offset);
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.EXTRA")]
    public async Task Bytes_appended_after_the_key_block_are_trailing_data()
    {
        byte[] image = (await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance)).ToArray();
        ImageFormatException e = ParseFails([.. image, 0x43, 0x53, 0x41, 0x4B]);

        Assert.Equal(ImageError.TrailingData, e.Error);
        Assert.Equal(image.Length, e.Offset);
    }

    [Fact]
    public void Bad_magic()
    {
        byte[] image = Crc();
        image[3] = 0x48;
        ImageFormatException e = ParseFails(image);
        Assert.Equal(ImageError.BadMagic, e.Error);
        Assert.Equal(0, e.Offset);
        Assert.Contains("CSAI", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_format_version()
    {
        byte[] image = Crc();
        image[4] = 2;
        ImageFormatException e = ParseFails(image);
        Assert.Equal(ImageError.UnknownFormatVersion, e.Error);
        Assert.Equal(4, e.Offset);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(7)]
    public void An_unknown_format_version_is_reported_as_soon_as_its_two_bytes_are_there(int length)
    {
        // image-format.md 3: magic (0), format version (4), ...; input that ends before the bytes a check needs is
        // Truncated. The version check needs bytes 4-5 only (the C bootloader reads the rule the same way).
        byte[] image = Crc();
        image[4] = 2;
        ImageFormatException e = ParseFails(image[..length]);
        Assert.Equal(ImageError.UnknownFormatVersion, e.Error);
        Assert.Equal(4, e.Offset);
    }

    [Fact]
    public void Manifest_length_disagreeing_with_binding_count_is_a_size_mismatch()
    {
        byte[] image = Crc();
        image[6] = 0x6C; // 108: one binding's worth, but the count says 0
        ImageFormatException e = ParseFails(image);
        Assert.Equal(ImageError.SizeMismatch, e.Error);
        Assert.Equal(6, e.Offset);
    }

    [Theory]
    [InlineData(8, 0x00, ImageError.BadImageKind)]
    [InlineData(8, 0x03, ImageError.BadImageKind)]
    [InlineData(9, 0x00, ImageError.UnsupportedAuthentication)]
    [InlineData(9, 0x03, ImageError.UnsupportedAuthentication)]
    [InlineData(10, 0x02, ImageError.UnsupportedEncryption)]
    [InlineData(10, 0xFF, ImageError.UnsupportedEncryption)]
    [InlineData(11, 33, ImageError.BadBindingCount)]
    [InlineData(11, 255, ImageError.BadBindingCount)]
    [InlineData(72, 0x01, ImageError.BadNonce)]
    [InlineData(87, 0x80, ImageError.BadNonce)]
    [InlineData(88, 0x01, ImageError.BadKeyId)]
    [InlineData(95, 0x01, ImageError.BadKeyId)]
    public void A_bad_manifest_field_gets_its_own_error_at_its_offset(int offset, byte value, ImageError expected)
    {
        byte[] image = Crc();
        image[offset] = value;
        ImageFormatException e = ParseFails(image);
        Assert.Equal(expected, e.Error);
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void With_several_defects_the_first_in_the_documented_order_is_reported()
    {
        byte[] image = Crc();
        image[88] = 1;    // key id (checked late)
        image[36] = 0;    // payload size 0x20 -> 0
        image[6] = 0x6C;  // manifest length
        image[10] = 0x07; // encryption (checked before manifest length)
        Assert.Equal(ImageError.UnsupportedEncryption, ParseFails(image).Error);
        image[10] = 0;
        Assert.Equal(ImageError.SizeMismatch, ParseFails(image).Error);
        image[6] = 0x60;
        Assert.Equal(ImageError.BadPayloadSize, ParseFails(image).Error);
        image[36] = 0x20;
        Assert.Equal(ImageError.BadKeyId, ParseFails(image).Error);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData((uint)ImageFormat.MaxPayloadSize + 1)]
    [InlineData(uint.MaxValue)]
    public void Payload_size_outside_the_limits_is_refused(uint size)
    {
        byte[] image = Crc();
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(36), size);
        ImageFormatException e = ParseFails(image);
        Assert.Equal(ImageError.BadPayloadSize, e.Error);
        Assert.Equal(36, e.Offset);
    }

    [Fact]
    public void Payload_running_past_the_address_space_is_refused()
    {
        byte[] image = Crc();
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(32), 0xFFFFFFF0);
        Assert.Equal(ImageError.AddressOverflow, ParseFails(image).Error);
    }

    [Fact]
    public void A_device_bound_twice_is_a_duplicate_binding()
    {
        byte[] image = Ecdsa();
        image.AsSpan(96, 12).CopyTo(image.AsSpan(108));
        ImageFormatException e = ParseFails(image);
        Assert.Equal(ImageError.DuplicateBinding, e.Error);
        Assert.Equal(108, e.Offset);
    }

    [Fact]
    public void Plaintext_image_with_a_key_block_is_trailing_data()
    {
        byte[] image = Crc();
        ImageFormatException e = ParseFails([.. image, 0x43, 0x53, 0x41, 0x4B, 1, 0, 1, 0, .. new byte[13]]);
        Assert.Equal(ImageError.TrailingData, e.Error);
    }

    [Theory]
    [InlineData(0, 0x00, "magic")]
    [InlineData(4, 0x00, "count")]
    [InlineData(6, 0x00, "length")]
    public async Task A_malformed_key_block_is_a_bad_key_block(int field, byte value, string what)
    {
        FirmwareImage built = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 20);
        byte[] image = built.ToArray();
        int keyBlock = built.ManifestBytes.Length + built.Payload.Length + built.AuthenticationBlock.Length;
        image[keyBlock + field] = value;
        image[keyBlock + field + 1] = 0;
        ImageFormatException e = ParseFails(image);
        Assert.True(e.Error == ImageError.BadKeyBlock, what + ": " + e.Message);
        Assert.Equal(keyBlock + field, e.Offset);
    }

    [Fact]
    public async Task Two_key_block_entries_for_one_device_are_a_bad_key_block()
    {
        FirmwareImage built = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 20, null,
            (ImageFactory.ThisDevice, ImageFactory.ThisDevicePublicKey), (ImageFactory.OtherDevice, ImageFactory.OtherDevicePublicKey));
        byte[] image = built.ToArray();
        int entries = built.ManifestBytes.Length + built.Payload.Length + built.AuthenticationBlock.Length + 8;
        int stride = 12 + built.WrappedKeys[0].WrappedKey.Length;
        ImageFactory.ThisDevice.CopyTo(image.AsSpan(entries + stride));
        ImageFormatException e = ParseFails(image);
        Assert.Equal(ImageError.BadKeyBlock, e.Error);
        Assert.Equal(entries + stride, e.Offset);
    }

    [Fact]
    public void TryParse_reports_the_error_without_throwing()
    {
        Assert.False(ImageReader.TryParse(new byte[10], out FirmwareImage? image, out ImageFormatException? error));
        Assert.Null(image);
        Assert.Equal(ImageError.BadMagic, error!.Error);
        Assert.True(ImageReader.TryParse(Crc(), out image));
        Assert.NotNull(image);
    }

    [Fact]
    public void ParseManifest_reads_the_manifest_without_the_rest()
    {
        byte[] image = Ecdsa();
        ImageManifest m = ImageReader.ParseManifest(image.AsSpan(0, 120));
        Assert.Equal(120, m.Length);
        Assert.Equal(image[..120], m.ToArray());
    }

    [Fact]
    public async Task Images_round_trip_through_files()
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-image-{Guid.NewGuid():N}.img");
        try
        {
            FirmwareImage image = ImageReader.Parse(Ecdsa());
            await image.WriteFileAsync(path);
            FirmwareImage back = await ImageReader.ReadFileAsync(path);
            Assert.Equal(image.ToArray(), back.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}

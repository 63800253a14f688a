using System.Security.Cryptography;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

[Trait("Requirement", "REQ-TAMPER")]
public sealed class GoldenImageTests
{
    private static FirmwareSource GoldenSource() => FirmwareSource.FromBinary(Golden.Payload, Golden.LoadAddress);

    [Fact]
    public async Task Crc_image_is_reproduced_byte_for_byte_by_the_builder()
    {
        byte[] golden = Golden.Read("golden-crc.hex");

        FirmwareImage built = await new ImageBuilder(Golden.CrcSettings()).BuildAsync(GoldenSource(), Crc32ImageAuthenticator.Instance);

        Assert.Equal(Convert.ToHexString(golden), Convert.ToHexString(built.ToArray()));
    }

    [Fact]
    public void Crc_image_parses_into_the_documented_fields()
    {
        FirmwareImage image = ImageReader.Parse(Golden.Read("golden-crc.hex"));
        ImageManifest m = image.Manifest;

        Assert.Equal(132, image.Length);
        Assert.Equal(96, m.Length);
        Assert.Equal(ImageKind.Application, m.Kind);
        Assert.Equal(ImageAuthentication.Crc32, m.Authentication);
        Assert.Equal(ImageEncryption.None, m.Encryption);
        Assert.Equal(Golden.VendorId, m.VendorId);
        Assert.Equal(Golden.DeviceClassId, m.DeviceClassId);
        Assert.Equal(new FirmwareVersion(1, 2, 3, 45), m.Version);
        Assert.Equal(7u, m.SecurityCounter);
        Assert.Equal(Golden.LoadAddress, m.LoadAddress);
        Assert.Equal(32u, m.PayloadSize);
        Assert.Equal(SHA256.HashData(Golden.Payload), m.PayloadSha256.ToArray());
        Assert.Empty(m.BoundDevices);
        Assert.Equal(Golden.Payload, image.Payload.ToArray());
        Assert.Equal("2A47BF40", Convert.ToHexString(image.AuthenticationBlock.Span));
        Assert.Equal(0x40BF472Au, Csa.DataLink.Crc32Mpeg2.Compute(image.ManifestBytes.Span));
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Ecdsa_image_is_reproduced_byte_for_byte_given_its_rfc6979_signature()
    {
        byte[] golden = Golden.Read("golden-ecdsa.hex");
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();
        var signer = new FixedSigner(ImageAuthentication.EcdsaP256Sha256, key.KeyId.ToArray(), golden[^64..]);

        FirmwareImage built = await new ImageBuilder(Golden.EcdsaSettings()).BuildAsync(GoldenSource(), signer);

        Assert.Equal(Convert.ToHexString(golden), Convert.ToHexString(built.ToArray()));
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public void Ecdsa_image_signature_verifies_under_the_rfc6979_test_key_and_the_image_is_accepted_by_a_bound_device()
    {
        FirmwareImage image = ImageReader.Parse(Golden.Read("golden-ecdsa.hex"));
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();

        Assert.Equal("B18B86CE1389E46D", Convert.ToHexString(image.Manifest.KeyId.Span));
        Assert.Equal(key.KeyId.ToArray(), image.Manifest.KeyId.ToArray());
        Assert.True(key.Verify(image.ManifestBytes.Span, image.AuthenticationBlock.Span, image.Manifest.KeyId.Span));
        Assert.Equal(Golden.BoundUids, image.Manifest.BoundDevices);
        Assert.Equal(new FirmwareVersion(2, 0, 0, 1), image.Manifest.Version);

        var policy = new ImagePolicy
        {
            VendorId = Golden.VendorId,
            DeviceClassId = Golden.DeviceClassId,
            DeviceUid = Golden.BoundUids[1],
            MinimumSecurityCounter = 8,
            TargetRegion = new ImageRegion(Golden.LoadAddress, 0x60000),
            ExpectedKind = ImageKind.Application,
        };
        policy.TrustedVerifiers.Add(key);
        ImageValidationResult result = new ImageValidator(policy).Validate(image);
        Assert.True(result.PayloadHashVerified);
    }

    [Theory]
    [InlineData("golden-crc.hex")]
    [InlineData("golden-ecdsa.hex")]
    public void Documentation_shows_exactly_the_golden_file(string name)
    {
        byte[] fromDoc = Golden.ParseHex(Golden.DocBlock(name));
        byte[] fromFile = Golden.Read(name);

        Assert.Equal(Convert.ToHexString(fromFile), Convert.ToHexString(fromDoc));
    }
}

using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// Every single-byte change of an image (manifest, payload, authentication block, and the device's own part
/// of the key block) must be refused: by the parser or by the validator, never accepted.
/// </summary>
[Trait("Requirement", "REQ-TAMPER")]
[Trait("Threat", "THREAT.MFST.MODIFICATION")]
[Trait("Threat", "THREAT.IMG.NON_AUTH")]
public sealed class TamperTests
{
    private static void AssertEveryChangeRefused(byte[] image, ImagePolicy policy, int from, int to, byte[] masks)
    {
        var validator = new ImageValidator(policy);
        Assert.True(validator.TryValidate(ImageReader.Parse(image), out ImageRejectedException? original), original?.Message);
        for (int i = from; i < to; i++)
        {
            foreach (byte mask in masks)
            {
                byte[] tampered = (byte[])image.Clone();
                tampered[i] ^= mask;
                if (!ImageReader.TryParse(tampered, out FirmwareImage? parsed))
                    continue;
                bool accepted = validator.TryValidate(parsed!, out _);
                Assert.False(accepted, $"byte {i} xor 0x{mask:X2} was accepted");
            }
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public void Every_byte_of_the_golden_ecdsa_image_flipped_is_refused()
    {
        byte[] image = Golden.Read("golden-ecdsa.hex");
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();
        ImagePolicy policy = ImageFactory.Policy(key, minimumCounter: 8);
        AssertEveryChangeRefused(image, policy, 0, image.Length, [0x01, 0x80, 0xFF]);
    }

    [Fact]
    public void Every_byte_of_the_golden_crc_image_flipped_is_refused()
    {
        byte[] image = Golden.Read("golden-crc.hex");
        ImagePolicy policy = ImageFactory.Policy(Crc32ImageAuthenticator.Instance, minimumCounter: 7);
        AssertEveryChangeRefused(image, policy, 0, image.Length, [0x01, 0x80, 0xFF]);
    }

    [Fact]
    [Trait("Category", "Exhaustive")]
    public void Every_single_bit_of_the_golden_ecdsa_image_flipped_is_refused()
    {
        byte[] image = Golden.Read("golden-ecdsa.hex");
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();
        AssertEveryChangeRefused(image, ImageFactory.Policy(key, 8), 0, image.Length, [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80]);
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Every_byte_of_an_encrypted_image_flipped_is_refused_by_its_device()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        FirmwareImage built = await ImageFactory.Encrypted(key, 40);
        AssertEveryChangeRefused(built.ToArray(), ImageFactory.Policy(key), 0, built.Length, [0x01, 0xFF]);
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    public async Task Changing_another_devices_key_entry_harms_only_that_device()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        FirmwareImage built = await ImageFactory.Encrypted(key, 40, null,
            (ImageFactory.ThisDevice, ImageFactory.ThisDevicePublicKey), (ImageFactory.OtherDevice, ImageFactory.OtherDevicePublicKey));
        byte[] image = built.ToArray();
        image[^1] ^= 0x01; // last byte of the second entry: the other device's wrapped key

        FirmwareImage tampered = ImageReader.Parse(image);
        Assert.True(new ImageValidator(ImageFactory.Policy(key)).TryValidate(tampered, out _));

        ImagePolicy other = ImageFactory.Policy(key);
        other.DeviceUid = ImageFactory.OtherDevice;
        other.Decryptor = new ToyDecryption(ImageFactory.OtherDevicePublicKey);
        var e = Assert.Throws<ImageRejectedException>(() => new ImageValidator(other).Validate(tampered));
        Assert.Equal(ImageRejection.KeyUnwrapFailed, e.Reason);
    }

    [Fact]
    public void A_flipped_payload_byte_is_found_by_the_after_write_hash()
    {
        byte[] image = Golden.Read("golden-crc.hex");
        image[96 + 5] ^= 0x01;
        var e = Assert.Throws<ImageRejectedException>(() =>
            new ImageValidator(ImageFactory.Policy(Crc32ImageAuthenticator.Instance, 7)).Validate(ImageReader.Parse(image)));
        Assert.Equal(ImageRejection.PayloadHashMismatch, e.Reason);
    }

    [Fact]
    public void A_flipped_manifest_byte_under_a_signature_is_a_bad_signature()
    {
        byte[] image = Golden.Read("golden-ecdsa.hex");
        image[28] ^= 0x01; // security counter 8 -> 9: a tempting change
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();
        var e = Assert.Throws<ImageRejectedException>(() =>
            new ImageValidator(ImageFactory.Policy(key, 8)).Validate(ImageReader.Parse(image)));
        Assert.Equal(ImageRejection.BadSignature, e.Reason);
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

public sealed class ImageBuilderTests
{
    [Fact]
    public async Task A_built_image_carries_every_setting_in_its_manifest()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        var settings = new ImageSettings
        {
            Kind = ImageKind.Bootloader,
            VendorId = 0xDEADBEEF,
            DeviceClassId = 0x12345678,
            Version = FirmwareVersion.Parse("4.5.6+789"),
            SecurityCounter = 42,
            LoadAddress = 0x08004000,
        };
        settings.BoundDevices.Add(ImageFactory.ThisDevice);
        byte[] payload = ImageFactory.Payload(1000);

        FirmwareImage image = await new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, 0x08004000), key);
        ImageManifest m = image.Manifest;

        Assert.Equal(ImageKind.Bootloader, m.Kind);
        Assert.Equal(0xDEADBEEFu, m.VendorId);
        Assert.Equal(0x12345678u, m.DeviceClassId);
        Assert.Equal(new FirmwareVersion(4, 5, 6, 789), m.Version);
        Assert.Equal(42u, m.SecurityCounter);
        Assert.Equal(0x08004000u, m.LoadAddress);
        Assert.Equal(1000u, m.PayloadSize);
        Assert.Equal(SHA256.HashData(payload), m.PayloadSha256.ToArray());
        Assert.Equal(key.KeyId.ToArray(), m.KeyId.ToArray());
        Assert.Equal([ImageFactory.ThisDevice], m.BoundDevices);
        Assert.Equal(payload, image.Payload.ToArray());
        Assert.Equal(108 + 1000 + 64, image.Length);
        Assert.True(key.Verify(image.ManifestBytes.Span, image.AuthenticationBlock.Span, m.KeyId.Span));
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task An_encrypted_image_has_one_ciphertext_and_manifest_for_all_devices_and_one_key_entry_per_device()
    {
        byte[] plaintext = ImageFactory.Payload(4096);
        FirmwareImage image = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 4096, null,
            (ImageFactory.ThisDevice, ImageFactory.ThisDevicePublicKey), (ImageFactory.OtherDevice, ImageFactory.OtherDevicePublicKey));

        Assert.Equal(ImageEncryption.Aes256CtrEciesP256, image.Manifest.Encryption);
        Assert.NotEqual(plaintext, image.Payload.ToArray());
        Assert.Contains(image.Manifest.Nonce.ToArray(), b => b != 0);
        Assert.Equal(SHA256.HashData(plaintext), image.Manifest.PayloadSha256.ToArray());
        Assert.Equal(2, image.WrappedKeys.Count);
        Assert.NotNull(image.FindWrappedKey(ImageFactory.OtherDevice));
        Assert.NotEqual(image.WrappedKeys[0].WrappedKey.ToArray(), image.WrappedKeys[1].WrappedKey.ToArray());
        Assert.Equal(96 + 4096 + 4 + 8 + (2 * (12 + 48)), image.Length);

        var validator = new ImageValidator(ImageFactory.Policy(Crc32ImageAuthenticator.Instance));
        byte[] key = validator.UnwrapContentKey(image)!;
        var decrypted = new byte[4096];
        new ToyDecryption(ImageFactory.ThisDevicePublicKey).Decrypt(key, image.Manifest.Nonce.Span, 0, image.Payload.Span, decrypted);
        Assert.Equal(plaintext, decrypted);
    }

    [Fact]
    public async Task Binding_more_devices_than_the_format_allows_is_refused()
    {
        ImageSettings settings = ImageFactory.Settings();
        for (int i = 0; i <= ImageFormat.MaxBindingCount; i++)
            settings.BoundDevices.Add(DeviceUid.FromWords((uint)i, 0, 0));
        await Assert.ThrowsAsync<ArgumentException>(() => ImageFactory.Signed(Crc32ImageAuthenticator.Instance, settings: settings));
        settings.BoundDevices.RemoveAt(0);
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance, settings: settings);
        Assert.Equal(ImageFormat.MaxManifestSize, image.Manifest.Length);
    }

    [Fact]
    public async Task Binding_a_device_twice_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ImageFactory.Signed(Crc32ImageAuthenticator.Instance,
            settings: ImageFactory.Settings(10, ImageFactory.ThisDevice, ImageFactory.ThisDevice)));
    }

    [Fact]
    public async Task A_payload_larger_than_the_format_allows_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ImageFactory.Signed(Crc32ImageAuthenticator.Instance, ImageFormat.MaxPayloadSize + 1));
    }

    [Fact]
    public async Task A_signer_returning_a_block_of_the_wrong_length_is_refused()
    {
        var signer = new FixedSigner(ImageAuthentication.EcdsaP256Sha256, new byte[8], new byte[63]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => ImageFactory.Signed(signer));
    }

    [Fact]
    public async Task A_signer_with_a_key_id_of_the_wrong_length_is_refused()
    {
        var signer = new FixedSigner(ImageAuthentication.EcdsaP256Sha256, new byte[7], new byte[64]);
        await Assert.ThrowsAsync<ArgumentException>(() => ImageFactory.Signed(signer));
    }

    [Fact]
    public async Task An_encrypted_image_without_recipients_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => new ImageBuilder(ImageFactory.Settings()).BuildAsync(
            FirmwareSource.FromBinary([1, 2, 3], Golden.LoadAddress), Crc32ImageAuthenticator.Instance, new ToyEncryption(), []));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ImageBuilder(ImageFactory.Settings())
            .BuildAsync(FirmwareSource.FromBinary([1], Golden.LoadAddress), Crc32ImageAuthenticator.Instance, cts.Token));
    }
}

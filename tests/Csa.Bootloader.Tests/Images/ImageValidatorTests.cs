using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

public sealed class ImageValidatorTests
{
    private static ImageRejection Rejection(ImagePolicy policy, FirmwareImage image) =>
        Assert.Throws<ImageRejectedException>(() => new ImageValidator(policy).Validate(image)).Reason;

    /// <summary>A verifier that cannot say which keys it has: unknown keys then read as bad signatures.</summary>
    private sealed class OpaqueVerifier(IImageVerifier inner) : IImageVerifier
    {
        public ImageAuthentication Algorithm => inner.Algorithm;

        public bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId) =>
            inner.Verify(manifest, authenticationBlock, keyId);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task An_image_signed_by_the_trusted_key_is_accepted_with_its_payload_hash_checked()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        FirmwareImage image = await ImageFactory.Signed(key);
        ImageValidationResult result = new ImageValidator(ImageFactory.Policy(key)).Validate(image);
        Assert.True(result.PayloadHashVerified);
        Assert.Same(result.Manifest.GetType(), typeof(ImageManifest));
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task An_image_signed_by_an_unknown_key_is_refused_as_unknown_key()
    {
        using BclEcdsaKey trusted = BclEcdsaKey.Generate();
        using BclEcdsaKey attacker = BclEcdsaKey.Generate();
        FirmwareImage image = await ImageFactory.Signed(attacker);
        Assert.Equal(ImageRejection.UnknownKey, Rejection(ImageFactory.Policy(trusted), image));
        Assert.Equal(ImageRejection.BadSignature, Rejection(ImageFactory.Policy(new OpaqueVerifier(trusted)), image));
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task An_image_claiming_the_trusted_key_id_but_signed_by_another_key_is_a_bad_signature()
    {
        using BclEcdsaKey trusted = BclEcdsaKey.Generate();
        using BclEcdsaKey attacker = BclEcdsaKey.Generate();
        var forger = new ForgingSigner(attacker, trusted.KeyId.ToArray());
        FirmwareImage image = await ImageFactory.Signed(forger);
        Assert.Equal(ImageRejection.BadSignature, Rejection(ImageFactory.Policy(trusted), image));
    }

    private sealed class ForgingSigner(IImageSigner inner, byte[] claimedKeyId) : IImageSigner
    {
        public ImageAuthentication Algorithm => inner.Algorithm;

        public ReadOnlyMemory<byte> KeyId => claimedKeyId;

        public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default) => inner.SignAsync(manifest, cancellationToken);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task A_crc_only_image_is_refused_by_a_device_that_requires_signatures()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance);
        Assert.Equal(ImageRejection.UnsupportedAuthentication, Rejection(ImageFactory.Policy(key), image));
    }

    [Fact]
    public async Task A_device_trusting_several_keys_accepts_any_of_them()
    {
        using BclEcdsaKey old = BclEcdsaKey.Generate();
        using BclEcdsaKey current = BclEcdsaKey.Generate();
        FirmwareImage image = await ImageFactory.Signed(current);
        Assert.True(new ImageValidator(ImageFactory.Policy([old, current])).TryValidate(image, out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task An_image_bound_to_other_devices_is_refused_as_not_bound_to_this_device()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance, settings: ImageFactory.Settings(10, ImageFactory.OtherDevice));
        Assert.Equal(ImageRejection.NotBoundToThisDevice, Rejection(ImageFactory.Policy(Crc32ImageAuthenticator.Instance), image));

        ImagePolicy theOther = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        theOther.DeviceUid = ImageFactory.OtherDevice;
        Assert.True(new ImageValidator(theOther).TryValidate(image, out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "TUF.ROLLBACK")]
    public async Task A_lower_security_counter_is_refused_as_a_downgrade_an_equal_one_is_accepted()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance, settings: ImageFactory.Settings(counter: 9));
        Assert.Equal(ImageRejection.SecurityCounterTooLow, Rejection(ImageFactory.Policy(Crc32ImageAuthenticator.Instance, minimumCounter: 10), image));
        Assert.True(new ImageValidator(ImageFactory.Policy(Crc32ImageAuthenticator.Instance, minimumCounter: 9)).TryValidate(image, out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    public async Task With_downgrade_prevention_off_any_counter_is_accepted()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance, settings: ImageFactory.Settings(counter: 0));
        Assert.True(new ImageValidator(ImageFactory.Policy(Crc32ImageAuthenticator.Instance, minimumCounter: null)).TryValidate(image, out _));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task Wrong_vendor_wrong_class_and_wrong_kind_each_have_their_reason()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance);

        ImagePolicy vendor = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        vendor.VendorId ^= 1;
        Assert.Equal(ImageRejection.WrongVendor, Rejection(vendor, image));

        ImagePolicy deviceClass = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        deviceClass.DeviceClassId ^= 1;
        Assert.Equal(ImageRejection.WrongDeviceClass, Rejection(deviceClass, image));

        ImagePolicy kind = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        kind.ExpectedKind = ImageKind.Bootloader;
        Assert.Equal(ImageRejection.WrongImageKind, Rejection(kind, image));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task An_image_linked_for_another_address_is_refused_as_wrong_load_address()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance);
        ImagePolicy policy = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        policy.TargetRegion = new ImageRegion(0x08040000, 0x40000);
        Assert.Equal(ImageRejection.WrongLoadAddress, Rejection(policy, image));
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task A_payload_larger_than_the_region_is_refused()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance, payloadSize: 1025);
        ImagePolicy policy = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        policy.TargetRegion = new ImageRegion(Golden.LoadAddress, 1024);
        Assert.Equal(ImageRejection.TooLargeForRegion, Rejection(policy, image));
        policy.TargetRegion = new ImageRegion(Golden.LoadAddress, 1025);
        Assert.True(new ImageValidator(policy).TryValidate(image, out _));
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task A_plaintext_image_is_refused_when_encryption_is_required()
    {
        FirmwareImage image = await ImageFactory.Signed(Crc32ImageAuthenticator.Instance);
        ImagePolicy policy = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        policy.RequireEncryption = true;
        Assert.Equal(ImageRejection.EncryptionRequired, Rejection(policy, image));
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task An_encrypted_image_is_decrypted_and_its_plaintext_hash_checked_by_its_device()
    {
        using BclEcdsaKey key = BclEcdsaKey.Generate();
        FirmwareImage image = await ImageFactory.Encrypted(key, 200_000);
        ImagePolicy policy = ImageFactory.Policy(key);
        policy.RequireEncryption = true;
        ImageValidationResult result = new ImageValidator(policy).Validate(image);
        Assert.True(result.PayloadHashVerified);
        Assert.True(result.KeyUnwrapVerified);
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    public async Task An_encrypted_image_without_a_key_for_this_device_is_refused()
    {
        FirmwareImage image = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 64, null, (ImageFactory.OtherDevice, ImageFactory.OtherDevicePublicKey));
        Assert.Equal(ImageRejection.NoKeyForThisDevice, Rejection(ImageFactory.Policy(Crc32ImageAuthenticator.Instance), image));
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    public async Task A_key_wrapped_for_another_device_under_this_devices_uid_does_not_unwrap()
    {
        FirmwareImage image = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 64, null, (ImageFactory.ThisDevice, ImageFactory.OtherDevicePublicKey));
        Assert.Equal(ImageRejection.KeyUnwrapFailed, Rejection(ImageFactory.Policy(Crc32ImageAuthenticator.Instance), image));
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.IMG.REPLACE")]
    public async Task A_key_block_moved_onto_another_image_does_not_unwrap()
    {
        FirmwareImage first = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 64);
        FirmwareImage second = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 64, ImageFactory.Settings(counter: 11));
        int firstKeyBlock = first.ManifestBytes.Length + first.Payload.Length + first.AuthenticationBlock.Length;
        int secondKeyBlock = second.ManifestBytes.Length + second.Payload.Length + second.AuthenticationBlock.Length;
        byte[] spliced = [.. second.Bytes.Span[..secondKeyBlock], .. first.Bytes.Span[firstKeyBlock..]];

        Assert.Equal(ImageRejection.KeyUnwrapFailed, Rejection(ImageFactory.Policy(Crc32ImageAuthenticator.Instance), ImageReader.Parse(spliced)));
    }

    [Fact]
    public async Task The_host_pre_check_of_an_encrypted_image_without_the_device_key_checks_the_manifest_only()
    {
        FirmwareImage image = await ImageFactory.Encrypted(Crc32ImageAuthenticator.Instance, 64);
        ImagePolicy host = ImageFactory.Policy(Crc32ImageAuthenticator.Instance);
        host.DeviceUid = null;
        host.Decryptor = null;
        ImageValidationResult result = new ImageValidator(host).Validate(image);
        Assert.False(result.PayloadHashVerified);
        Assert.False(result.KeyUnwrapVerified);
    }

    [Fact]
    public void The_before_erase_check_takes_the_manifest_and_authentication_block_alone()
    {
        byte[] image = Golden.Read("golden-ecdsa.hex");
        using BclEcdsaKey key = BclEcdsaKey.Rfc6979TestKey();
        var validator = new ImageValidator(ImageFactory.Policy(key, 8));

        ImageManifest m = validator.CheckBeforeErase(image.AsSpan(0, 120), image.AsSpan(image.Length - 64));
        Assert.Equal(32u, m.PayloadSize);

        var trailing = Assert.Throws<ImageFormatException>(() => validator.CheckBeforeErase(image.AsSpan(0, 121), image.AsSpan(image.Length - 64)));
        Assert.Equal(ImageError.TrailingData, trailing.Error);
        var shortBlock = Assert.Throws<ImageRejectedException>(() => validator.CheckBeforeErase(image.AsSpan(0, 120), image.AsSpan(image.Length - 63)));
        Assert.Equal(ImageRejection.BadSignature, shortBlock.Reason);
    }

    [Fact]
    public void Authenticity_is_checked_before_any_other_field_is_trusted()
    {
        // A CRC image for the wrong vendor with a broken CRC: the refusal is about authenticity, because a
        // device must not act on (or report) fields it has not authenticated.
        byte[] image = Golden.Read("golden-crc.hex");
        image[12] ^= 0x01;
        var e = Assert.Throws<ImageRejectedException>(() =>
            new ImageValidator(ImageFactory.Policy(Crc32ImageAuthenticator.Instance, 7)).Validate(ImageReader.Parse(image)));
        Assert.Equal(ImageRejection.BadSignature, e.Reason);
    }
}

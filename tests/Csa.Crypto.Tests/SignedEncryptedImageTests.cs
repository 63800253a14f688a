using Csa.Bootloader.Images;

namespace Csa.Crypto.Tests;

/// <summary>
/// The image container and the real cryptography together: what the host builds with Csa.Crypto, the device
/// policy (the same ImageValidator the virtual device uses) accepts for exactly the intended device.
/// </summary>
[Trait("Requirement", "REQ-AUTH-FW")]
[Trait("Requirement", "REQ-CONFIDENTIAL")]
public class SignedEncryptedImageTests
{
    private const uint Vendor = 0x00C5A001;
    private const uint DeviceClass = 0x00000042;
    private static readonly EcP256PrivateKey SigningKey = KeyGenerator.Generate(KeyRole.FirmwareSigning);
    private static readonly EcP256PrivateKey DeviceA = KeyGenerator.Generate(KeyRole.DeviceIdentity);
    private static readonly EcP256PrivateKey DeviceB = KeyGenerator.Generate(KeyRole.DeviceIdentity);
    private static readonly DeviceUid UidA = DeviceUid.FromWords(0x00400021, 0x31365111, 0x33383735);
    private static readonly DeviceUid UidB = DeviceUid.FromWords(0x00400022, 0x31365111, 0x33383735);

    private static byte[] Firmware(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data);
        return data;
    }

    private static Task<FirmwareImage> BuildAsync(byte[] firmware, uint securityCounter = 5, bool encrypt = true, params DeviceUid[] boundTo)
    {
        var settings = new ImageSettings
        {
            VendorId = Vendor,
            DeviceClassId = DeviceClass,
            Version = new FirmwareVersion(2, 1, 0, 77),
            SecurityCounter = securityCounter,
        };
        foreach (DeviceUid uid in boundTo)
            settings.BoundDevices.Add(uid);
        var builder = new ImageBuilder(settings);
        var source = FirmwareSource.FromBinary(firmware, 0x08040000);
        var signer = new EcdsaP256Signer(SigningKey);
        return encrypt
            ? builder.BuildAsync(source, signer, new AesCtrEciesPayloadEncryptor(),
                [new ImageRecipient(UidA, DeviceA.PublicKey.UncompressedPoint.ToArray()),
                 new ImageRecipient(UidB, DeviceB.PublicKey.UncompressedPoint.ToArray())])
            : builder.BuildAsync(source, signer);
    }

    private static ImageValidator DevicePolicy(DeviceUid uid, EcP256PrivateKey deviceKey, params EcP256PublicKey[] trusted)
    {
        var policy = new ImagePolicy
        {
            VendorId = Vendor,
            DeviceClassId = DeviceClass,
            DeviceUid = uid,
            MinimumSecurityCounter = 5,
            TargetRegion = new ImageRegion(0x08040000, 768 * 1024),
            ExpectedKind = ImageKind.Application,
            RequireEncryption = true,
            Decryptor = new AesCtrEciesPayloadDecryptor(deviceKey),
        };
        foreach (EcP256PublicKey key in trusted.Length == 0 ? [SigningKey.PublicKey] : trusted)
            policy.TrustedVerifiers.Add(new EcdsaP256Verifier(key));
        return new ImageValidator(policy);
    }

    [Fact]
    public async Task EachRecipient_DecryptsTheSameCiphertextAndThePayloadHashHolds()
    {
        byte[] firmware = Firmware(70_001);
        FirmwareImage image = await BuildAsync(firmware);

        Assert.NotEqual(firmware, image.Payload.ToArray());
        foreach ((DeviceUid uid, EcP256PrivateKey key) in new[] { (UidA, DeviceA), (UidB, DeviceB) })
        {
            ImageValidationResult result = DevicePolicy(uid, key).Validate(image);
            Assert.True(result.PayloadHashVerified);
            Assert.True(result.KeyUnwrapVerified);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-KEY-EXPOSURE")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task ADeviceWhoseKeyWasNotARecipient_CannotUnwrapEvenWithARecipientsUid()
    {
        FirmwareImage image = await BuildAsync(Firmware(4096));
        EcP256PrivateKey stranger = KeyGenerator.Generate(KeyRole.DeviceIdentity);

        var rejection = Assert.Throws<ImageRejectedException>(() => DevicePolicy(UidA, stranger).Validate(image));
        Assert.Equal(ImageRejection.KeyUnwrapFailed, rejection.Reason);
    }

    [Fact]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task AnImageSignedByAnUntrustedKey_IsReportedAsUnknownKey()
    {
        FirmwareImage image = await BuildAsync(Firmware(1024));
        EcP256PublicKey other = KeyGenerator.Generate(KeyRole.FirmwareSigning).PublicKey;

        var rejection = Assert.Throws<ImageRejectedException>(() => DevicePolicy(UidA, DeviceA, other).Validate(image));
        Assert.Equal(ImageRejection.UnknownKey, rejection.Reason);
    }

    [Fact]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    public async Task ALowerSecurityCounter_IsRefusedBeforeAnythingElseIsLookedAt()
    {
        FirmwareImage image = await BuildAsync(Firmware(1024), securityCounter: 4);

        var rejection = Assert.Throws<ImageRejectedException>(() => DevicePolicy(UidA, DeviceA).CheckBeforeErase(image));
        Assert.Equal(ImageRejection.SecurityCounterTooLow, rejection.Reason);
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task AnImageBoundToDeviceA_IsRefusedByDeviceB()
    {
        FirmwareImage image = await BuildAsync(Firmware(1024), boundTo: UidA);

        DevicePolicy(UidA, DeviceA).Validate(image);
        var rejection = Assert.Throws<ImageRejectedException>(() => DevicePolicy(UidB, DeviceB).Validate(image));
        Assert.Equal(ImageRejection.NotBoundToThisDevice, rejection.Reason);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    public async Task EveryByteOfTheManifestAndSignatureAndASampleOfThePayloadTampered_IsRefused()
    {
        FirmwareImage image = await BuildAsync(Firmware(3000), encrypt: false);
        ImageValidator validator = DevicePolicy(UidA, DeviceA);
        validator.Policy.RequireEncryption = false;
        byte[] original = image.Bytes.ToArray();
        int manifestAndPayload = image.ManifestBytes.Length + image.Payload.Length;
        IEnumerable<int> offsets = Enumerable.Range(0, image.ManifestBytes.Length)
            .Concat(Enumerable.Range(image.ManifestBytes.Length, image.Payload.Length).Where(i => i % 97 == 0))
            .Concat(Enumerable.Range(manifestAndPayload, image.AuthenticationBlock.Length));

        foreach (int offset in offsets)
        {
            byte[] tampered = (byte[])original.Clone();
            tampered[offset] ^= 0x01;
            bool accepted;
            try
            {
                accepted = validator.TryValidate(ImageReader.Parse(tampered), out _);
            }
            catch (ImageFormatException)
            {
                accepted = false;
            }
            Assert.False(accepted, $"a flipped bit at offset {offset} was accepted");
        }
    }
}

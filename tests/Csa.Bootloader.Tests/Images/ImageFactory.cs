using Csa.Bootloader.Images;

namespace Csa.Bootloader.Tests.Images;

/// <summary>Builds small images and matching device policies for the tests.</summary>
internal static class ImageFactory
{
    public static readonly DeviceUid ThisDevice = DeviceUid.Parse("3A0024000D51343138393836");
    public static readonly DeviceUid OtherDevice = DeviceUid.Parse("1F0031001247363035353533");
    public static readonly byte[] ThisDevicePublicKey = [0x04, .. Enumerable.Range(1, 64).Select(i => (byte)i)];
    public static readonly byte[] OtherDevicePublicKey = [0x04, .. Enumerable.Range(101, 64).Select(i => (byte)i)];

    public static byte[] Payload(int size, int seed = 1)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static ImageSettings Settings(uint counter = 10, params DeviceUid[] bound)
    {
        var s = new ImageSettings
        {
            VendorId = Golden.VendorId,
            DeviceClassId = Golden.DeviceClassId,
            Version = new FirmwareVersion(3, 1, 4, 15),
            SecurityCounter = counter,
            LoadAddress = Golden.LoadAddress,
        };
        foreach (DeviceUid uid in bound)
            s.BoundDevices.Add(uid);
        return s;
    }

    public static ImagePolicy Policy(IImageVerifier verifier, uint? minimumCounter = 10) => Policy([verifier], minimumCounter);

    public static ImagePolicy Policy(IImageVerifier[] verifiers, uint? minimumCounter = 10)
    {
        var p = new ImagePolicy
        {
            VendorId = Golden.VendorId,
            DeviceClassId = Golden.DeviceClassId,
            DeviceUid = ThisDevice,
            ExpectedKind = ImageKind.Application,
            MinimumSecurityCounter = minimumCounter,
            TargetRegion = new ImageRegion(Golden.LoadAddress, 0x60000),
            Decryptor = new ToyDecryption(ThisDevicePublicKey),
        };
        foreach (IImageVerifier v in verifiers)
            p.TrustedVerifiers.Add(v);
        return p;
    }

    public static Task<FirmwareImage> Signed(IImageSigner signer, int payloadSize = 48, ImageSettings? settings = null) =>
        new ImageBuilder(settings ?? Settings()).BuildAsync(FirmwareSource.FromBinary(Payload(payloadSize), Golden.LoadAddress), signer);

    public static Task<FirmwareImage> Encrypted(IImageSigner signer, int payloadSize = 48, ImageSettings? settings = null, params (DeviceUid Uid, byte[] Key)[] recipients)
    {
        if (recipients.Length == 0)
            recipients = [(ThisDevice, ThisDevicePublicKey)];
        return new ImageBuilder(settings ?? Settings()).BuildAsync(
            FirmwareSource.FromBinary(Payload(payloadSize), Golden.LoadAddress), signer, new ToyEncryption(),
            recipients.Select(r => new ImageRecipient(r.Uid, r.Key)));
    }
}

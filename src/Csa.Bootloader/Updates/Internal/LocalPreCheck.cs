using Csa.Bootloader.Images;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// The host's check of an image against one device before a single byte is sent, with the device's own rules
/// (<see cref="ImageValidator"/>, the same code the device runs) filled from what the device reported.
/// </summary>
internal static class LocalPreCheck
{
    /// <exception cref="UpdateRejectedException">The device would refuse the image.</exception>
    public static void Check(DeviceInfo device, BootloaderStatus status, RegionInfo? region, FirmwareImage image, Images.ImageKind kind, UpdateOptions options)
    {
        var policy = new ImagePolicy
        {
            VendorId = device.VendorId,
            DeviceClassId = device.DeviceClassId,
            ExpectedKind = kind,
            DeviceUid = device.Uid,
            MinimumSecurityCounter = status.DeviceSecurityCounter,
            TargetRegion = region?.ToImageRegion(),
        };
        if (device.Features.HasFlag(FeatureFlags.Signatures))
        {
            IImageVerifier[] ecdsa = options.TrustedVerifiers.Where(v => v.Algorithm == ImageAuthentication.EcdsaP256Sha256).ToArray();
            if (ecdsa.Length == 0)
                policy.TrustedVerifiers.Add(DeviceSideSignatureCheck.Instance);
            foreach (IImageVerifier verifier in ecdsa)
                policy.TrustedVerifiers.Add(verifier);
        }
        else
        {
            policy.TrustedVerifiers.Add(Crc32ImageAuthenticator.Instance);
        }

        try
        {
            if (image.Manifest.Encryption != ImageEncryption.None && !device.Features.HasFlag(FeatureFlags.Encryption))
                throw new ImageRejectedException(ImageRejection.UnsupportedEncryption, "The image is encrypted but the device's bootloader does not decrypt images");
            var validator = new ImageValidator(policy);
            validator.CheckBeforeErase(image);
            if (image.Manifest.Encryption == ImageEncryption.None)
                validator.CheckPayload(image.Manifest, image.Payload.Span);
        }
        catch (ImageRejectedException e)
        {
            throw new UpdateRejectedException(device.Uid, e.Reason, e.Message, e);
        }
    }

    /// <summary>
    /// Stands in for the signature check when the host was given no trusted keys: the device checks the signature
    /// itself before it erases anything, so the host only checks everything else. Never used by a device.
    /// </summary>
    private sealed class DeviceSideSignatureCheck : IImageVerifier
    {
        public static readonly DeviceSideSignatureCheck Instance = new();

        public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

        public bool Verify(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> authenticationBlock, ReadOnlySpan<byte> keyId) => true;
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// The host's check of an image against one device before a single byte is sent, with the device's own rules
/// (<see cref="ImageValidator"/>, the same code the device runs) filled from what the device reported: its identity,
/// its security counter (GetVersions, or GetStatus in the bootloader) and its update rules (GetUpdateRules: the
/// bootloader's features and requirements, each region's start and largest payload). All of that is known while the
/// application runs, so the check runs before EnterBootloader; what the device did not report is left to the device.
/// </summary>
internal static class LocalPreCheck
{
    /// <summary>True when <paramref name="device"/> reported enough to check everything the device checks before an erase (except the signature without trusted keys, and the key unwrap).</summary>
    public static bool IsComplete(DeviceInfo device) => device.Rules is not null;

    /// <summary>Checks <paramref name="image"/> for <paramref name="region"/> of <paramref name="device"/>.</summary>
    /// <param name="device">What the device reported.</param>
    /// <param name="region">The region the image is for.</param>
    /// <param name="image">The image.</param>
    /// <param name="options">The local pre-check's verifiers.</param>
    /// <param name="minimumSecurityCounter">
    /// The counter the image must reach when it is not the device's own: the second bootloader copy of an update of
    /// both is checked against the counter the first one raises it to.
    /// </param>
    /// <exception cref="UpdateRejectedException">The device would refuse the image.</exception>
    public static void Check(DeviceInfo device, RegionKind region, FirmwareImage image, UpdateOptions options, uint? minimumSecurityCounter = null)
    {
        UpdateRules? rules = device.Rules;
        var policy = new ImagePolicy
        {
            VendorId = device.VendorId,
            DeviceClassId = device.DeviceClassId,
            ExpectedKind = region == RegionKind.Application ? Images.ImageKind.Application : Images.ImageKind.Bootloader,
            DeviceUid = device.Uid,
            MinimumSecurityCounter = minimumSecurityCounter ?? device.Bootloader?.DeviceSecurityCounter ?? device.SecurityCounter,
            TargetRegion = rules?.For(region) ?? FromStatus(device.Bootloader, region),
            RequireEncryption = rules is { } r && r.Requirements.HasFlag(ImageRequirements.Encryption),
        };
        // The bootloader's features: from its rules, or from its own capabilities while it runs. An application's own
        // features say nothing about how images are authenticated.
        FeatureFlags? features = rules?.BootloaderFeatures ?? (device.IsInBootloader ? device.Features : null);
        bool signatures = features is not { } f || f.HasFlag(FeatureFlags.Signatures);
        bool crc = features is not { } g || !g.HasFlag(FeatureFlags.Signatures);
        if (signatures)
        {
            IImageVerifier[] ecdsa = options.TrustedVerifiers.Where(v => v.Algorithm == ImageAuthentication.EcdsaP256Sha256).ToArray();
            if (ecdsa.Length == 0)
                policy.TrustedVerifiers.Add(DeviceSideSignatureCheck.Instance);
            foreach (IImageVerifier verifier in ecdsa)
                policy.TrustedVerifiers.Add(verifier);
        }
        if (crc)
            policy.TrustedVerifiers.Add(Crc32ImageAuthenticator.Instance);

        try
        {
            if (image.Manifest.Encryption != ImageEncryption.None && features is { } h && !h.HasFlag(FeatureFlags.Encryption))
                throw new ImageRejectedException(ImageRejection.UnsupportedEncryption, "The image is encrypted but the device's bootloader does not decrypt images");
            var validator = new ImageValidator(policy);
            validator.CheckBeforeErase(image);
            if (rules is { } s && s.Requirements.HasFlag(ImageRequirements.DeviceBinding) && !image.Manifest.IsDeviceBound)
                throw new ImageRejectedException(ImageRejection.NotBoundToThisDevice, "The image is not bound to any device; this product installs only images bound to the device's unique id");
            if (image.Manifest.Encryption == ImageEncryption.None)
                validator.CheckPayload(image.Manifest, image.Payload.Span);
        }
        catch (ImageRejectedException e)
        {
            throw new UpdateRejectedException(device.Uid, e.Reason, e.Message, e);
        }
    }

    /// <summary>
    /// For firmware that does not report its rules: the region's start from the bootloader's status, and its whole size
    /// as the bound (the device, which knows what it keeps in the region, checks the payload's size itself).
    /// </summary>
    private static ImageRegion? FromStatus(BootloaderStatus? status, RegionKind region) =>
        status?.Regions.FirstOrDefault(r => r.Region == region) is { } info ? new ImageRegion(info.Start, info.Size) : null;

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

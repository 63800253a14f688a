namespace Csa.Bootloader.Images;

/// <summary>A flash region an image is installed into: its first address and the largest payload it takes.</summary>
/// <param name="Start">The region's first address; an image must be linked for exactly this address.</param>
/// <param name="Size">
/// The largest payload the region takes, in bytes: the region's size minus what the bootloader keeps in it (the Csa
/// bootloader's 4096-byte trailer, docs/device-model.md section 5.1). A device reports it (Device.GetUpdateRules,
/// Csa.Bootloader's <c>UpdateRules</c>); host and device check the same number.
/// </param>
public readonly record struct ImageRegion(uint Start, uint Size)
{
    /// <inheritdoc />
    public override string ToString() => $"0x{Start:X8}..0x{(ulong)Start + Size:X8} ({Size} bytes)";
}

/// <summary>
/// What a device accepts: the settings <see cref="ImageValidator"/> checks an image against. The device
/// fills every field from its own identity and its configuration; the host's local pre-check fills what it
/// knows (leave a field null to skip its check).
/// </summary>
public sealed class ImagePolicy
{
    /// <summary>The verifiers of the keys (or the CRC) the device trusts. An image whose algorithm none of them checks is refused.</summary>
    public IList<IImageVerifier> TrustedVerifiers { get; } = new List<IImageVerifier>();

    /// <summary>The device's vendor id (THREAT.IMG.INCOMPATIBLE).</summary>
    public uint VendorId { get; set; }

    /// <summary>The device's class id (THREAT.IMG.INCOMPATIBLE).</summary>
    public uint DeviceClassId { get; set; }

    /// <summary>The kind of image the target region takes; null accepts both.</summary>
    public ImageKind? ExpectedKind { get; set; }

    /// <summary>The device's unique ID (REQ-DEVICE-BOUND, and to find its wrapped key); null when the checker is not a device (host pre-check).</summary>
    public DeviceUid? DeviceUid { get; set; }

    /// <summary>
    /// The lowest security counter the device accepts (REQ-DOWNGRADE, THREAT.IMG.EXPIRED): the counter of the
    /// image it runs, or a stored floor. Images with an equal counter are accepted (reinstalling is not a
    /// downgrade). Null turns downgrade prevention off, for products that do not want it.
    /// </summary>
    public uint? MinimumSecurityCounter { get; set; }

    /// <summary>The region the image will be written to (THREAT.IMG.LOCATION); null skips the address and size checks.</summary>
    public ImageRegion? TargetRegion { get; set; }

    /// <summary>True when the product refuses plaintext images (REQ-CONFIDENTIAL).</summary>
    public bool RequireEncryption { get; set; }

    /// <summary>The device's key unwrapping and payload decryption; needed to check an encrypted image's key and payload.</summary>
    public IPayloadDecryptor? Decryptor { get; set; }
}

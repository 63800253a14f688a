namespace Csa.Bootloader.Images;

/// <summary>
/// What an image is and whom it is for: the settings <see cref="ImageBuilder"/> writes into the manifest.
/// </summary>
public sealed class ImageSettings
{
    /// <summary>Application (default) or bootloader.</summary>
    public ImageKind Kind { get; set; } = ImageKind.Application;

    /// <summary>The vendor id the device checks (THREAT.IMG.INCOMPATIBLE).</summary>
    public uint VendorId { get; set; }

    /// <summary>The device class id (product / board) the device checks (THREAT.IMG.INCOMPATIBLE).</summary>
    public uint DeviceClassId { get; set; }

    /// <summary>The image's version.</summary>
    public FirmwareVersion Version { get; set; }

    /// <summary>The security counter (REQ-DOWNGRADE): raise it when an image fixes a vulnerability, so devices refuse older ones.</summary>
    public uint SecurityCounter { get; set; }

    /// <summary>
    /// The flash address the payload is linked for, as a cross-check: the manifest always takes the
    /// <see cref="FirmwareSource"/>'s address (the Intel HEX file's lowest address, or the address given with a
    /// binary), and building fails when this is set and differs. Null skips the cross-check.
    /// </summary>
    public uint? LoadAddress { get; set; }

    /// <summary>The devices the image is bound to (REQ-DEVICE-BOUND); empty for every device of the class.</summary>
    public IList<DeviceUid> BoundDevices { get; } = new List<DeviceUid>();
}

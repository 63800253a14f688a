namespace Csa.Bootloader.Images;

/// <summary>What an image installs: the application, or a bootloader copy (REQ-UPD-BL).</summary>
public enum ImageKind : byte
{
    /// <summary>Application firmware, installed into the application region.</summary>
    Application = 0x01,

    /// <summary>A bootloader, installed into the bootloader copy that is not running.</summary>
    Bootloader = 0x02,
}

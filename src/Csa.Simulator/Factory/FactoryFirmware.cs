using Csa.Bootloader.Images;

namespace Csa.Simulator;

/// <summary>
/// What a <see cref="DeviceFactory"/> writes into a blank device, as a production programmer does: the pre-bootloader,
/// bootloader copy A (and copy B when asked), and the application unless <see cref="ApplicationSize"/> is null. Images
/// are bound to the device when its profile requires binding, and the application is encrypted for its identity key
/// when the profile requires encryption. One sealed record; every setting has a default.
/// </summary>
public sealed record FactoryFirmware
{
    /// <summary>The version of the bootloader image(s). Default 1.0.0.0.</summary>
    public FirmwareVersion BootloaderVersion { get; init; } = new(1, 0, 0, 0);

    /// <summary>Payload bytes of each bootloader image. Default 24 KiB.</summary>
    public int BootloaderSize { get; init; } = 24 * 1024;

    /// <summary>Write copy B too (by default only copy A: copy B stays blank until the first bootloader update).</summary>
    public bool BothBootloaderCopies { get; init; }

    /// <summary>The security counter of the bootloader image(s). Default 1.</summary>
    public uint BootloaderSecurityCounter { get; init; } = 1;

    /// <summary>The version of the application image. Default 1.0.0.0.</summary>
    public FirmwareVersion ApplicationVersion { get; init; } = new(1, 0, 0, 0);

    /// <summary>
    /// Payload bytes of the application image; null writes no application (a product that gets its application after
    /// provisioning, or a bootloader waiting for its first install). Default 48 KiB.
    /// </summary>
    public int? ApplicationSize { get; init; } = 48 * 1024;

    /// <summary>The security counter of the application image. Default 1.</summary>
    public uint ApplicationSecurityCounter { get; init; } = 1;

    /// <summary>The same with no application.</summary>
    public FactoryFirmware WithoutApplication() => this with { ApplicationSize = null };

    internal void Validate()
    {
        if (BootloaderSize < 1)
            throw new ArgumentOutOfRangeException(nameof(BootloaderSize), BootloaderSize, "A bootloader image has at least one payload byte.");
        if (ApplicationSize is < 1)
            throw new ArgumentOutOfRangeException(nameof(ApplicationSize), ApplicationSize, "An application image has at least one payload byte (null for none).");
    }
}

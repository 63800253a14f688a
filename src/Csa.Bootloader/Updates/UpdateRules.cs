using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates;

/// <summary>
/// What a device's bootloader installs, as the device reports it (Device.GetUpdateRules, answered alike by the
/// application and the bootloader): the bootloader's update features, what it demands of every image, and where each
/// kind of image goes with the largest payload it takes. Fixed by the product and the chip, so the host checks an
/// image against it before it asks the application to enter the bootloader (docs/updates.md section 6).
/// </summary>
/// <param name="BootloaderFeatures">The update features of the installed bootloader: <see cref="FeatureFlags.Signatures"/> (else CRC-32 only), <see cref="FeatureFlags.Encryption"/>, ...</param>
/// <param name="Requirements">What every image must be beyond authentic and for this device (bound to it, encrypted).</param>
/// <param name="Application">The application region: its start and largest payload.</param>
/// <param name="BootloaderA">Bootloader copy A.</param>
/// <param name="BootloaderB">Bootloader copy B.</param>
public sealed record UpdateRules(
    FeatureFlags BootloaderFeatures,
    ImageRequirements Requirements,
    ImageRegion Application,
    ImageRegion BootloaderA,
    ImageRegion BootloaderB)
{
    /// <summary>The start and largest payload of <paramref name="region"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The pre-bootloader, which no update writes.</exception>
    public ImageRegion For(RegionKind region) => region switch
    {
        RegionKind.Application => Application,
        RegionKind.BootloaderA => BootloaderA,
        RegionKind.BootloaderB => BootloaderB,
        _ => throw new ArgumentOutOfRangeException(nameof(region), region, "No update writes this region."),
    };

    /// <summary>Converts the generated GetUpdateRules response.</summary>
    public static UpdateRules FromResponse(GetUpdateRulesResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return new UpdateRules(response.BootloaderFeatures, response.Requirements, Region(response.Application),
            Region(response.BootloaderA), Region(response.BootloaderB));

        static ImageRegion Region(ImageSlot slot) => new(slot.Start, slot.MaxPayloadSize);
    }
}

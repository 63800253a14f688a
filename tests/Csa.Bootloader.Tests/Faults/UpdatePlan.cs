using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>What to install: the application, or the bootloader (one image linked for each copy).</summary>
internal sealed record UpdatePlan(UpdateTarget Target, FirmwareImage ForApplication, FirmwareImage? ForCopyA, FirmwareImage? ForCopyB, DeviceUid Uid, FirmwareVersion NewVersion)
{
    public static UpdatePlan Application(FirmwareImage image, DeviceUid uid) =>
        new(UpdateTarget.Application, image, null, null, uid, image.Manifest.Version);

    public static UpdatePlan Bootloader(FirmwareImage forA, FirmwareImage forB, DeviceUid uid) =>
        new(UpdateTarget.OtherBootloader, forB, forA, forB, uid, forA.Manifest.Version);
}

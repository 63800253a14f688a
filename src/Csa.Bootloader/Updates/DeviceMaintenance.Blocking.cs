using Csa.Bootloader.Images;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates;

// Blocking forms, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class DeviceMaintenance
{
    /// <summary>Blocking form of <see cref="ResetAsync"/>.</summary>
    public DeviceInfo Reset(DeviceInfo device, ResetMode mode = ResetMode.Normal, CancellationToken cancellationToken = default) =>
        ResetAsync(device, mode, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="ReadRegionsAsync"/>.</summary>
    public DeviceRegions ReadRegions(DeviceInfo device, bool includeHashes = false, CancellationToken cancellationToken = default) =>
        ReadRegionsAsync(device, includeHashes, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="VerifyAsync"/>.</summary>
    public InstalledImageCheck Verify(DeviceInfo device, FirmwareImage image, CancellationToken cancellationToken = default) =>
        VerifyAsync(device, image, cancellationToken).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="EraseApplicationAsync"/>.</summary>
    public DeviceInfo EraseApplication(DeviceInfo device, FirmwareImage authorization, CancellationToken cancellationToken = default) =>
        EraseApplicationAsync(device, authorization, cancellationToken).GetAwaiter().GetResult();
}

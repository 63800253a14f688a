using Csa.Bootloader.Updates;

namespace Csa.Bootloader.Provisioning;

// The blocking forms, for scripts and Python (docs/updates.md section 13).
public sealed partial class ProvisioningStation
{
    /// <summary>Blocking form of <see cref="ProvisionAllAsync(DeviceNetwork, int, IProgress{ProvisioningProgress}?, CancellationToken)"/> (for scripts and Python).</summary>
    public IReadOnlyList<ProvisioningResult> ProvisionAll(DeviceNetwork network, int maxParallel = 4, CancellationToken cancellationToken = default) =>
        ProvisionAllAsync(network, maxParallel, null, cancellationToken).GetAwaiter().GetResult();
}

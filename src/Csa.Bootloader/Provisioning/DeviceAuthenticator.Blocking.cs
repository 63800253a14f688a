using Csa.Bootloader.Updates;

namespace Csa.Bootloader.Provisioning;

// The blocking forms, for scripts and Python (docs/updates.md section 13).
public sealed partial class DeviceAuthenticator
{
    /// <summary>Blocking form of <see cref="AuthenticateAsync(DeviceNetwork, DeviceInfo, CancellationToken)"/> (for scripts and Python).</summary>
    /// <exception cref="DeviceAuthenticationException">The device is not genuine or not provisioned; says why.</exception>
    public AuthenticatedDevice Authenticate(DeviceNetwork network, DeviceInfo device, CancellationToken cancellationToken = default) =>
        AuthenticateAsync(network, device, cancellationToken).GetAwaiter().GetResult();
}

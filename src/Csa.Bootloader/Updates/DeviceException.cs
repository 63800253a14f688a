using Csa.Bootloader.Images;

namespace Csa.Bootloader.Updates;

/// <summary>
/// The base of every error a workflow reports about one device and that a caller is expected to handle: an update or
/// service operation that was refused or failed (<see cref="UpdateException"/>), a device that failed authentication
/// (<see cref="Provisioning.DeviceAuthenticationException"/>), a device that could not be provisioned
/// (<see cref="Provisioning.ProvisioningException"/>). Catch it to handle them all; the link's and the RPC layer's own
/// errors (<c>DataLinkException</c>, <c>RpcException</c>) are not among them.
/// </summary>
public abstract class DeviceException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="device">The device concerned, when known.</param>
    /// <param name="message">What happened, in words.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected DeviceException(DeviceUid? device, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Device = device;
    }

    /// <summary>The device concerned, when known.</summary>
    public DeviceUid? Device { get; }
}

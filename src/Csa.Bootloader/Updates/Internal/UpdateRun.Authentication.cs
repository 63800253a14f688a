using Csa.Bootloader.Provisioning;

namespace Csa.Bootloader.Updates.Internal;

// REQ-AUTH-DEV: the device proves its identity before any byte of firmware goes to it, at every attempt.
internal sealed partial class UpdateRun
{
    /// <summary>The device's proof of identity in the current attempt; null without a <see cref="UpdateOptions.DeviceAuthenticator"/>.</summary>
    public AuthenticatedDevice? Authenticated { get; private set; }

    private async Task AuthenticateDeviceAsync()
    {
        if (_options.DeviceAuthenticator is not { } authenticator)
            return;
        // Again at every resume: the device found by its unique id after a fault must still hold the genuine key.
        Authenticated = await authenticator.AuthenticateAsync(_network.Client, _device.Address, _uid, _device.VendorId, _device.DeviceClassId, _ct).ConfigureAwait(false);
    }
}

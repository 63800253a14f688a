using System.Security.Cryptography;
using Csa.Bootloader.Provisioning;

namespace Csa.Bootloader.Updates.Internal;

// REQ-AUTH-DEV: the device proves its identity before any byte of firmware goes to it, at every attempt and right
// before every BeginUpdate, and it must be the same device (the same certificate) as at first contact.
internal sealed partial class UpdateRun
{
    /// <summary>The certificate the device presented at first contact; every later authentication must present it again.</summary>
    private byte[]? _firstCertificate;

    /// <summary>The device's proof of identity in the current attempt; null without a <see cref="UpdateOptions.DeviceAuthenticator"/>.</summary>
    public AuthenticatedDevice? Authenticated { get; private set; }

    /// <summary>
    /// Authenticates the device now at <c>_device</c>. Called at the start of every attempt and again right before every
    /// BeginUpdate: between the two the device may restart (EnterBootloader, a copy switch, a resume), and whatever
    /// answers the unique id afterwards may be another responder. A genuine certificate is not enough then: it must be
    /// the one seen first, or a clone that claims the same unique id with a certificate of its own would get the firmware.
    /// </summary>
    private async Task AuthenticateDeviceAsync()
    {
        if (_options.DeviceAuthenticator is not { } authenticator)
            return;
        // The certificate must name the product the image is for (its signed manifest), not merely what the device says it
        // is: comparing the device's claim with the device's certificate would check the device against itself.
        // DeviceAuthenticatorOptions.ExpectedVendorId / ExpectedDeviceClassId, when set, still take precedence.
        (uint vendorId, uint deviceClassId) = _plan.Images.Count > 0
            ? (_plan.Images[0].Manifest.VendorId, _plan.Images[0].Manifest.DeviceClassId)
            : (_device.VendorId, _device.DeviceClassId);
        AuthenticatedDevice proof = await authenticator.AuthenticateAsync(_network.Client, _device.Address, _uid, vendorId, deviceClassId, _ct).ConfigureAwait(false);
        byte[] certificate = proof.Certificate.ToArray();
        if (_firstCertificate is null)
            _firstCertificate = certificate;
        else if (!CryptographicOperations.FixedTimeEquals(_firstCertificate, certificate))
            throw new DeviceAuthenticationException(_uid, DeviceAuthenticationFailure.IdentityChanged,
                $"Device {_uid} now presents another certificate (identity key {Convert.ToHexString(proof.PublicKey).ToLowerInvariant()[2..18]}…) than at first contact: another device answers its unique id; no firmware is sent.");
        Authenticated = proof;
    }
}

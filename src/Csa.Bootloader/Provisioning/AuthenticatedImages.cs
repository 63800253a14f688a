using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;

namespace Csa.Bootloader.Provisioning;

/// <summary>
/// Builds encrypted firmware for exactly the devices that authenticated (REQ-CONFIDENTIAL, REQ-AUTH-DEV): content keys
/// are wrapped for the identity public keys named in their production-signed certificates, never for a key a device
/// merely claims. Run <see cref="DeviceAuthenticator.AuthenticateAllAsync"/> first.
/// </summary>
public static class AuthenticatedImages
{
    /// <summary>
    /// One image per device: bound to its unique id (REQ-DEVICE-BOUND) and encrypted for its identity key only, so a
    /// key extracted from one device opens none of the others' images.
    /// </summary>
    /// <param name="settings">Kind, vendor, class, version, counter; its bound devices must be empty (each image gets its own).</param>
    /// <param name="source">The firmware.</param>
    /// <param name="signer">The firmware signing key.</param>
    /// <param name="encryptor">The payload encryptor (Csa.Crypto's <c>AesCtrEciesPayloadEncryptor</c>).</param>
    /// <param name="devices">The authenticated devices.</param>
    /// <param name="cancellationToken">Stops building.</param>
    /// <returns>The image of each device, by unique id.</returns>
    public static async Task<IReadOnlyDictionary<DeviceUid, FirmwareImage>> BuildPerDeviceAsync(ImageSettings settings, FirmwareSource source,
        IImageSigner signer, IPayloadEncryptor encryptor, IEnumerable<AuthenticatedDevice> devices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(devices);
        if (settings.BoundDevices.Count != 0)
            throw new ArgumentException("Leave the settings' bound devices empty: each per-device image is bound to its own device.", nameof(settings));
        var images = new Dictionary<DeviceUid, FirmwareImage>();
        foreach (AuthenticatedDevice device in devices)
        {
            ArgumentNullException.ThrowIfNull(device, nameof(devices));
            if (images.ContainsKey(device.Uid))
                throw new ArgumentException($"Device {device.Uid} is listed twice.", nameof(devices));
            ImageSettings own = Copy(settings);
            own.BoundDevices.Add(device.Uid);
            images[device.Uid] = await new ImageBuilder(own).BuildAsync(source, signer, encryptor,
                [new ImageRecipient(device.Uid, device.PublicKey)], cancellationToken).ConfigureAwait(false);
        }
        return images;
    }

    /// <summary>One image for all of <paramref name="devices"/>: one ciphertext, one wrapped content key per device.</summary>
    public static Task<FirmwareImage> BuildSharedAsync(ImageSettings settings, FirmwareSource source, IImageSigner signer, IPayloadEncryptor encryptor,
        IEnumerable<AuthenticatedDevice> devices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(devices);
        return new ImageBuilder(settings).BuildAsync(source, signer, encryptor,
            devices.Select(d => new ImageRecipient(d.Uid, d.PublicKey)).ToArray(), cancellationToken);
    }

    private static ImageSettings Copy(ImageSettings s) => new()
    {
        Kind = s.Kind,
        VendorId = s.VendorId,
        DeviceClassId = s.DeviceClassId,
        Version = s.Version,
        SecurityCounter = s.SecurityCounter,
        LoadAddress = s.LoadAddress,
    };
}

/// <summary>The outcome of authenticating many devices.</summary>
/// <param name="Authenticated">The devices that proved their identity.</param>
/// <param name="Rejected">The devices that did not, with why.</param>
public sealed record DeviceAuthenticationReport(IReadOnlyList<AuthenticatedDevice> Authenticated, IReadOnlyList<DeviceAuthenticationException> Rejected);

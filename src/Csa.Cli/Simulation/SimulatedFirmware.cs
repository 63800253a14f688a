using System.Text;
using Csa.Bootloader.Images;
using Csa.Simulator.Firmware;

namespace Csa.Cli.Simulation;

/// <summary>
/// Builds the firmware images virtual devices run: the factory images a blank simulated device is programmed with, and
/// the new versions the demo installs. The payload stands in for real code: a readable banner, then deterministic
/// pseudo-random bytes (so two builds of the same version are byte-identical and resume works across processes).
/// </summary>
internal static class SimulatedFirmware
{
    /// <summary>Bytes of a factory bootloader image.</summary>
    public const int BootloaderSize = 24 * 1024;

    /// <summary>Bytes of a factory application image.</summary>
    public const int ApplicationSize = 48 * 1024;

    /// <summary>The factory version of both images.</summary>
    public static readonly FirmwareVersion FactoryVersion = new(1, 0, 0, 0);

    /// <summary>Builds an image for <paramref name="profile"/>, linked for <paramref name="loadAddress"/>.</summary>
    /// <param name="profile">The device's profile (vendor, class, unique id).</param>
    /// <param name="kind">Application or bootloader.</param>
    /// <param name="loadAddress">Where the image runs: the application region, or one bootloader copy.</param>
    /// <param name="version">The image version.</param>
    /// <param name="size">Payload bytes.</param>
    /// <param name="signer">Signs the manifest.</param>
    /// <param name="bindToDevice">Binds the image to the profile's unique id (REQ-DEVICE-BOUND).</param>
    /// <param name="encryptFor">Encrypts the payload for this device identity key (REQ-CONFIDENTIAL); null = plaintext.</param>
    /// <param name="cancellationToken">Stops the build.</param>
    public static Task<FirmwareImage> BuildAsync(DeviceProfile profile, ImageKind kind, uint loadAddress, FirmwareVersion version, int size,
        IImageSigner signer, bool bindToDevice = false, Csa.Crypto.EcP256PublicKey? encryptFor = null, CancellationToken cancellationToken = default)
    {
        var settings = new ImageSettings
        {
            Kind = kind,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = version,
            SecurityCounter = 1,
        };
        if (bindToDevice)
            settings.BoundDevices.Add(profile.Uid);
        FirmwareSource source = FirmwareSource.FromBinary(Payload(kind, version, size), loadAddress);
        var builder = new ImageBuilder(settings);
        return encryptFor is null
            ? builder.BuildAsync(source, signer, cancellationToken)
            : builder.BuildAsync(source, signer, new Csa.Crypto.AesCtrEciesPayloadEncryptor(),
                [new ImageRecipient(profile.Uid, encryptFor.ToUncompressedPoint())], cancellationToken);
    }

    /// <summary>
    /// Programs a blank device as production would: pre-bootloader, bootloader copy A and the application, both at the
    /// factory version; bound to the device and encrypted for it when its profile demands that.
    /// </summary>
    public static async Task ProgramFactoryImagesAsync(DeviceProfile profile, Csa.Simulator.Flash.SimulatedFlash flash, IImageSigner signer, CancellationToken cancellationToken)
    {
        FirmwareImage bootloader = await BuildAsync(profile, ImageKind.Bootloader, profile.MemoryMap.BootloaderA.Address, FactoryVersion,
            BootloaderSize, signer, profile.RequireDeviceBinding, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (profile.RequireProvisioning)
        {
            // As the electronics manufacturer delivers it: pre-bootloader and bootloader only. The application comes
            // after provisioning, from the assembler's production station.
            FactoryProgrammer.Program(profile, flash, bootloader);
            return;
        }
        FirmwareImage application = await BuildAsync(profile, ImageKind.Application, profile.MemoryMap.Application.Address, FactoryVersion,
            ApplicationSize, signer, profile.RequireDeviceBinding, profile.RequireEncryption ? profile.IdentityKey?.PublicKey : null, cancellationToken).ConfigureAwait(false);
        FactoryProgrammer.Program(profile, flash, bootloader, application: application);
    }

    private static byte[] Payload(ImageKind kind, FirmwareVersion version, int size)
    {
        var payload = new byte[size];
        new Random(unchecked((int)version.Ordinal ^ (int)(version.Ordinal >> 32) ^ size ^ (int)kind)).NextBytes(payload);
        byte[] banner = Encoding.ASCII.GetBytes($"Csa simulated {kind} {version}\0");
        banner.AsSpan(0, Math.Min(banner.Length, size)).CopyTo(payload);
        return payload;
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware;

/// <summary>
/// What a production programmer (ST-LINK, a gang programmer) does to a blank chip: writes the pre-bootloader and
/// installs images directly into their regions, in the layout the bootloader itself installs them (payload at the
/// region start, trailer slot 0 committed). It checks only that an image fits its region; whether the device accepts
/// it is decided by <see cref="DeviceFirmware.Boot"/>, exactly as for an image installed in the field.
/// </summary>
public static class FactoryProgrammer
{
    /// <summary>
    /// Programs a device from blank: the pre-bootloader, bootloader copy A, and optionally copy B and the application.
    /// Images must be linked for their region (a copy-B image for copy B's address).
    /// </summary>
    /// <exception cref="ArgumentException">An image is of the wrong kind, linked for another address, or does not fit.</exception>
    /// <exception cref="FlashException">The flash refused an operation or lost power.</exception>
    public static void Program(DeviceProfile profile, SimulatedFlash flash, FirmwareImage bootloaderA, FirmwareImage? bootloaderB = null, FirmwareImage? application = null)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(bootloaderA);
        WritePreBootloader(profile, flash);
        Install(profile, flash, RegionKind.BootloaderA, bootloaderA);
        if (bootloaderB is not null)
            Install(profile, flash, RegionKind.BootloaderB, bootloaderB);
        if (application is not null)
            Install(profile, flash, RegionKind.Application, application);
    }

    /// <summary>Erases the pre-bootloader region and writes the record that stands for the pre-bootloader's code.</summary>
    public static void WritePreBootloader(DeviceProfile profile, SimulatedFlash flash, byte major = 1, byte minor = 0, ushort patch = 0)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(flash);
        MemoryRegion region = profile.MemoryMap.PreBootloader;
        flash.EraseRegion(region);
        flash.Program(region.Address, PreBootloaderMarker.Encode(major, minor, patch));
    }

    /// <summary>
    /// Erases <paramref name="region"/> and installs <paramref name="image"/> into it: the plaintext payload at the
    /// region start (an encrypted image is decrypted with the profile's identity key), the manifest and authentication
    /// block in trailer slot 0, the commit marker last.
    /// </summary>
    /// <exception cref="ArgumentException">The image does not belong in the region, or an encrypted image has no key for this device.</exception>
    /// <exception cref="FlashException">The flash refused an operation or lost power.</exception>
    public static void Install(DeviceProfile profile, SimulatedFlash flash, RegionKind region, FirmwareImage image)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(image);
        MemoryRegion target = region is RegionKind.BootloaderA or RegionKind.BootloaderB or RegionKind.Application
            ? profile.MemoryMap.RegionOf(region)
            : throw new ArgumentException($"{region} does not take an image.", nameof(region));
        ImageManifest m = image.Manifest;
        ImageKind kind = region == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader;
        if (m.Kind != kind)
            throw new ArgumentException($"{region} takes a {kind} image, not a {m.Kind} image.", nameof(image));
        if (m.LoadAddress != target.Address)
            throw new ArgumentException($"The image is linked for 0x{m.LoadAddress:X8}; {region} starts at 0x{target.Address:X8}.", nameof(image));
        if (m.PayloadSize > ImageTrailer.UsableSize(target))
            throw new ArgumentException($"The {m.PayloadSize}-byte payload does not fit the {ImageTrailer.UsableSize(target)} bytes {region} leaves before its trailer.", nameof(image));

        byte[] plain = Plaintext(profile, image);
        try
        {
            int unit = flash.ProgramUnitSize;
            var padded = new byte[(plain.Length + unit - 1) / unit * unit];
            padded.AsSpan().Fill(FlashGeometry.ErasedValue);
            plain.CopyTo(padded, 0);
            flash.EraseRegion(target);
            flash.Program(target.Address, padded);
            CryptographicOperations.ZeroMemory(padded);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
        byte[] body = ImageTrailer.EncodeBody(image.ManifestBytes.Span, image.AuthenticationBlock.Span);
        uint slot = ImageTrailer.SlotAddress(target, 0);
        flash.Program(slot, body);
        flash.Program(slot + ImageTrailer.BodySize, ImageTrailer.EncodeCommit(body));
    }

    private static byte[] Plaintext(DeviceProfile profile, FirmwareImage image)
    {
        if (image.Manifest.Encryption == ImageEncryption.None)
            return image.Payload.ToArray();
        if (profile.IdentityKey is not { } identity)
            throw new ArgumentException("The image is encrypted but the profile has no identity key to decrypt it.", nameof(image));
        var decryptor = new AesCtrEciesPayloadDecryptor(identity);
        WrappedKeyEntry entry = image.FindWrappedKey(profile.Uid)
            ?? throw new ArgumentException($"The encrypted image has no wrapped key for device {profile.Uid}.", nameof(image));
        if (!decryptor.TryUnwrapKey(entry.WrappedKey.Span, SHA256.HashData(image.ManifestBytes.Span), out byte[] key))
            throw new ArgumentException($"The wrapped key for device {profile.Uid} does not unwrap with the profile's identity key.", nameof(image));
        try
        {
            var plain = new byte[image.Payload.Length];
            decryptor.Decrypt(key, image.Manifest.Nonce.Span, 0, image.Payload.Span, plain);
            return plain;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}

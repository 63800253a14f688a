namespace Csa.Bootloader.Images;

/// <summary>
/// Why a well-formed image is refused by an <see cref="ImagePolicy"/> (see <see cref="ImageRejectedException"/>).
/// </summary>
public enum ImageRejection
{
    /// <summary>The policy trusts no verifier for the image's authentication algorithm (e.g. a CRC-only image for a device that requires signatures).</summary>
    UnsupportedAuthentication = 1,

    /// <summary>No trusted verifier knows the key id in the manifest.</summary>
    UnknownKey,

    /// <summary>The authentication block does not authenticate the manifest (modified manifest, forged or damaged signature or CRC).</summary>
    BadSignature,

    /// <summary>The image is an application where a bootloader is expected, or the reverse.</summary>
    WrongImageKind,

    /// <summary>The image is for another vendor's products.</summary>
    WrongVendor,

    /// <summary>The image is for another device class.</summary>
    WrongDeviceClass,

    /// <summary>The image is bound to devices and this device's UID is not among them.</summary>
    NotBoundToThisDevice,

    /// <summary>The image's security counter is below the device's minimum: a downgrade / rollback.</summary>
    SecurityCounterTooLow,

    /// <summary>The image is linked for another address than the target region's start.</summary>
    WrongLoadAddress,

    /// <summary>The payload does not fit into the target region.</summary>
    TooLargeForRegion,

    /// <summary>The product requires encrypted images and this one is plaintext.</summary>
    EncryptionRequired,

    /// <summary>The image is encrypted with an algorithm the policy has no decryptor for.</summary>
    UnsupportedEncryption,

    /// <summary>The image is encrypted and its key block holds no wrapped key for this device.</summary>
    NoKeyForThisDevice,

    /// <summary>The wrapped key for this device does not unwrap (wrong device key, modified key block, or a key moved from another image).</summary>
    KeyUnwrapFailed,

    /// <summary>The SHA-256 of the written plaintext payload differs from the manifest's.</summary>
    PayloadHashMismatch,

    /// <summary>The written payload is shorter or longer than the manifest declares, or has a gap.</summary>
    PayloadSizeMismatch,
}

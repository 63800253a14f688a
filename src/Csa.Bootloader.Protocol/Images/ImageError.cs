namespace Csa.Bootloader.Images;

/// <summary>What is structurally wrong with an image file (see <see cref="ImageFormatException"/>).</summary>
public enum ImageError
{
    /// <summary>The file does not start with the manifest magic "CSAI".</summary>
    BadMagic = 1,

    /// <summary>The manifest's format version is not one this library reads.</summary>
    UnknownFormatVersion,

    /// <summary>The file ends before a section that the manifest declares ends.</summary>
    Truncated,

    /// <summary>The manifest length field disagrees with the size the binding count implies.</summary>
    SizeMismatch,

    /// <summary>The image kind is neither application nor bootloader.</summary>
    BadImageKind,

    /// <summary>The authentication algorithm is not one the format defines.</summary>
    UnsupportedAuthentication,

    /// <summary>The encryption algorithm is not one the format defines.</summary>
    UnsupportedEncryption,

    /// <summary>More device bindings than <see cref="ImageFormat.MaxBindingCount"/>.</summary>
    BadBindingCount,

    /// <summary>The same device UID is listed twice in the binding list.</summary>
    DuplicateBinding,

    /// <summary>The payload size is zero or larger than <see cref="ImageFormat.MaxPayloadSize"/>.</summary>
    BadPayloadSize,

    /// <summary>Load address plus payload size runs past the end of the 32-bit address space.</summary>
    AddressOverflow,

    /// <summary>The nonce is not all zero although the payload is not encrypted.</summary>
    BadNonce,

    /// <summary>The key id is not all zero although the image is authenticated by a CRC, which has no key.</summary>
    BadKeyId,

    /// <summary>The key block is malformed: bad magic, counts out of range, duplicate devices, or missing from an encrypted image.</summary>
    BadKeyBlock,

    /// <summary>Bytes follow the last section of the image.</summary>
    TrailingData,
}

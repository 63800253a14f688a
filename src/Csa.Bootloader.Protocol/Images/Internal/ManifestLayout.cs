namespace Csa.Bootloader.Images.Internal;

/// <summary>Byte offsets of the manifest fields (docs/image-format.md, section "Manifest"). Little-endian throughout.</summary>
internal static class ManifestLayout
{
    public const int Magic = 0;            // u32
    public const int FormatVersion = 4;    // u16
    public const int ManifestLength = 6;   // u16
    public const int Kind = 8;             // u8
    public const int Authentication = 9;   // u8
    public const int Encryption = 10;      // u8
    public const int BindingCount = 11;    // u8
    public const int VendorId = 12;        // u32
    public const int DeviceClassId = 16;   // u32
    public const int VersionMajor = 20;    // u8
    public const int VersionMinor = 21;    // u8
    public const int VersionPatch = 22;    // u16
    public const int VersionBuild = 24;    // u32
    public const int SecurityCounter = 28; // u32
    public const int LoadAddress = 32;     // u32
    public const int PayloadSize = 36;     // u32
    public const int PayloadSha256 = 40;   // u8[32]
    public const int Nonce = 72;           // u8[16]
    public const int KeyId = 88;           // u8[8]
    public const int BoundDevices = 96;    // u8[12][binding count]
}

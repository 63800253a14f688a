using Csa.DataLink;
using Csa.Bootloader.Images;
using Csa.Crypto;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware;

/// <summary>
/// Everything that makes one virtual device what it is: the chip (family, flash size, memory map, unique id),
/// the product it belongs to, the security options of its bootloader and the limits of its link. A profile
/// is configuration, read when the device powers on; change it only while the device is off.
/// </summary>
public sealed class DeviceProfile
{
    /// <summary>The memory map (and through it the flash geometry) of the chip.</summary>
    public required MemoryMap MemoryMap { get; init; }

    /// <summary>The 96-bit unique id the chip reports (F4 at 0x1FFF7A10, L4 at 0x1FFF7590).</summary>
    public required DeviceUid Uid { get; init; }

    /// <summary>The vendor id images must name.</summary>
    public uint VendorId { get; init; } = 0x00C5A000;

    /// <summary>The device class (product, board) id images must name.</summary>
    public uint DeviceClassId { get; init; } = 1;

    /// <summary>The product name the Device interface reports.</summary>
    public string ProductName { get; init; } = "Csa virtual device";

    /// <summary>The board's hardware revision.</summary>
    public ushort HardwareRevision { get; init; } = 1;

    /// <summary>The DBGMCU_IDCODE DEV_ID: 0x413 for STM32F405/407, 0x415 for STM32L476.</summary>
    public ushort McuDeviceId => MemoryMap.Geometry.Family == FlashFamily.Stm32F4 ? (ushort)0x413 : (ushort)0x415;

    /// <summary>
    /// How images are authenticated: <see cref="ImageAuthentication.EcdsaP256Sha256"/> (with
    /// <see cref="TrustedSigningKeys"/>) or <see cref="ImageAuthentication.Crc32"/> for checksum-only products.
    /// </summary>
    public ImageAuthentication Authentication { get; init; } = ImageAuthentication.EcdsaP256Sha256;

    /// <summary>The public keys whose signatures the bootloader accepts (REQ-AUTH-FW).</summary>
    public IReadOnlyList<EcP256PublicKey> TrustedSigningKeys { get; init; } = [];

    /// <summary>Refuse images whose security counter is below the device's (REQ-DOWNGRADE).</summary>
    public bool DowngradePrevention { get; init; } = true;

    /// <summary>Refuse images that are not bound to this device's unique id (REQ-DEVICE-BOUND).</summary>
    public bool RequireDeviceBinding { get; init; }

    /// <summary>Refuse plaintext images (REQ-CONFIDENTIAL).</summary>
    public bool RequireEncryption { get; init; }

    /// <summary>
    /// The device's identity key: content keys of encrypted images are wrapped for its public key. Null for a
    /// device without encryption support. Once the device is provisioned, the identity key it made itself
    /// (in <see cref="SecureKeyStorage"/>) is used instead.
    /// </summary>
    public EcP256PrivateKey? IdentityKey { get; init; }

    /// <summary>
    /// The production public key(s) the bootloader ships as its trust anchor for device certificates
    /// (docs/security.md section 10). Empty: the product is not provisioned (the Provisioning commands that need it
    /// answer NotSupported).
    /// </summary>
    public IReadOnlyList<EcP256PublicKey> ProductionTrustAnchors { get; init; } = [];

    /// <summary>
    /// The device lifecycle is enforced (REQ-PROD-KEYS): while blank the bootloader installs no firmware
    /// (BeginUpdate answers NotProvisioned) and starts no application (StayReason.NotProvisioned). Off by default, so
    /// products without production keys (and devices made by <see cref="FactoryProgrammer"/> alone) behave as before.
    /// </summary>
    public bool RequireProvisioning { get; init; }

    /// <summary>The largest frame the device receives (its DMA buffer), in bytes before byte stuffing.</summary>
    public ushort MaxFrameSize { get; init; } = 1024;

    /// <summary>How many packets the device holds at once; the host keeps at most this many requests in flight.</summary>
    public byte ReceiveBuffers { get; init; } = 4;

    /// <summary>
    /// The device takes part in multicast updates (the default): its data link joins up to 4 groups (docs/protocol.md
    /// section 7.6) and its bootloader advertises <c>Multicast</c> and answers GetMissingBlocks. Off: it joins no group
    /// (it still forwards group frames) and advertises nothing, as a device without the feature does.
    /// </summary>
    public bool Multicast { get; init; } = true;

    /// <summary>
    /// How the device passes on frames for devices behind it on a daisy chain. <see cref="ForwardingMode.CutThrough"/>
    /// (the default): while they arrive, as a chip whose UART runs on DMA can (docs/protocol.md section 6.3.1), so each
    /// hop adds a few byte times, not a frame's time. <see cref="ForwardingMode.StoreAndForward"/>: whole frames, as the
    /// C bootloader in firmware/ does.
    /// </summary>
    public ForwardingMode Forwarding { get; init; } = ForwardingMode.CutThrough;

    /// <summary>The largest RPC packet the device reassembles.</summary>
    public ushort MaxPacketSize { get; init; } = 4096 + 64;

    /// <summary>
    /// Erase-ahead (default on): BeginUpdate erases only the trailer's sectors before it answers, and the bootloader
    /// erases the payload's sectors in the background, the ones it needs next first, whenever no command waits, so
    /// those erases overlap with writes arriving into the receive buffers. Off: each payload sector is erased by the
    /// first write into it (the trailer's sectors still inside BeginUpdate). docs/device-model.md section 6.4.1.
    /// </summary>
    public bool EraseAhead { get; init; } = true;

    /// <summary>Typical flash timing (default) or the datasheets' worst case.</summary>
    public FlashTimingProfile FlashTiming { get; init; } = FlashTimingProfile.Typical;

    /// <summary>
    /// The CPU time the bootloader's cryptography takes on the chip (start-up checks, BeginUpdate's signature, hashing
    /// while writing, GetRegionHash), charged on the device's clock; null (the default): the CPU takes no time, only the
    /// flash is charged. <see cref="Firmware.CpuTiming.Stm32F4"/> and <see cref="Firmware.CpuTiming.Stm32L4"/> are estimates.
    /// </summary>
    public CpuTiming? CpuTiming { get; init; }

    /// <summary>An STM32F4 with 1 MB of flash.</summary>
    public static DeviceProfile Stm32F4(DeviceUid uid) => new() { MemoryMap = MemoryMap.Stm32F4_1M, Uid = uid };

    /// <summary>An STM32L4 with 1 MB of flash (two banks of 2 KB pages).</summary>
    public static DeviceProfile Stm32L4(DeviceUid uid) => new() { MemoryMap = MemoryMap.Stm32L4_1M, Uid = uid };
}

using System.Buffers.Binary;
using Csa.Bootloader.Images;
using Csa.Crypto;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Firmware.Tests.Support;

/// <summary>
/// The cross-compiled chip images (firmware/chips, built with <see cref="FirmwareConfiguration.Arm"/>), turned into
/// signed Csa images with the development signing key the builds trust, and the flash files a factory-programmed QEMU
/// netduinoplus2 starts from (firmware/port/qemu/include/csa/csa_qemu.h).
/// </summary>
internal sealed class ChipImages
{
    /// <summary>The product the chip builds are configured for (firmware/chips/CMakeLists.txt defaults).</summary>
    public const uint VendorId = 0x00C5A000;

    /// <summary>The device class of that product.</summary>
    public const uint DeviceClassId = 1;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<ChipImages>>> Built = new();

    private ChipImages(string folder)
    {
        Folder = folder;
        Signer = EcdsaP256Signer.FromKeyFile(Path.Combine(FirmwareBuild.RepositoryRoot, "firmware", "chips", "keys", "development-signing-key.pem"));
    }

    /// <summary>Where the images are: <c>&lt;target&gt;.elf</c>, <c>.bin</c>, <c>.map</c> per image and board.</summary>
    public string Folder { get; }

    /// <summary>The development key the chip builds trust (firmware/chips/keys).</summary>
    public EcdsaP256Signer Signer { get; }

    /// <summary>The images of <paramref name="configuration"/> (default: <see cref="FirmwareConfiguration.Arm"/>), built once per test run.</summary>
    public static Task<ChipImages> GetAsync(FirmwareConfiguration? configuration = null)
    {
        FirmwareConfiguration c = configuration ?? FirmwareConfiguration.Arm;
        return Built.GetOrAdd(c.Name, _ => new Lazy<Task<ChipImages>>(() => BuildAsync(c))).Value;
    }

    private static async Task<ChipImages> BuildAsync(FirmwareConfiguration configuration) =>
        new(Path.Combine(await FirmwareBuild.GetAsync(configuration), "chips"));

    /// <summary>The raw image of a target, e.g. <c>bootloader-a-qemu</c>.</summary>
    public byte[] Binary(string target) => File.ReadAllBytes(Path.Combine(Folder, target + ".bin"));

    /// <summary>
    /// A signed image of <paramref name="target"/>'s binary, linked for <paramref name="address"/>. <paramref name="tag"/>
    /// bytes are appended to the payload (after the code, never executed) so two builds of one binary differ.
    /// </summary>
    public Task<FirmwareImage> ImageAsync(string target, ImageKind kind, uint address, FirmwareVersion version, uint securityCounter = 1, string? tag = null)
    {
        byte[] payload = Binary(target);
        if (tag is not null)
            payload = [.. payload, .. System.Text.Encoding.ASCII.GetBytes(tag)];
        var settings = new ImageSettings
        {
            Kind = kind,
            VendorId = VendorId,
            DeviceClassId = DeviceClassId,
            Version = version,
            SecurityCounter = securityCounter,
        };
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(payload, address), Signer);
    }

    /// <summary>
    /// Writes what a production programmer leaves on a blank STM32F405 into <paramref name="folder"/>, as the QEMU
    /// board's files: <c>flash.bin</c> (1 MB from 0x08000000: the pre-bootloader's code with its record in the region's
    /// last 32 bytes, then each image installed as the bootloader installs it, by the SDK's
    /// <see cref="FactoryProgrammer"/>) and <c>sysmem.bin</c> (system memory from 0x1FFF7800: blank OTP, the unique id,
    /// the flash size register).
    /// </summary>
    public void WriteFactoryFlash(string folder, DeviceUid uid, FirmwareImage bootloaderA, FirmwareImage? bootloaderB, FirmwareImage? application, string preBootloaderTarget = "preboot-qemu")
    {
        MemoryMap map = MemoryMap.Stm32F4_1M;
        var profile = new DeviceProfile { MemoryMap = map, Uid = uid, VendorId = VendorId, DeviceClassId = DeviceClassId };
        var flash = new SimulatedFlash(map.Geometry, new SimulatedFlashOptions { UniqueId = uid.ToArray() });
        FactoryProgrammer.Program(profile, flash, bootloaderA, bootloaderB, application);
        byte[] main = flash.ReadRaw(map.Geometry.BaseAddress, map.Geometry.Size);
        byte[] preBootloader = Binary(preBootloaderTarget);
        if (preBootloader.Length != map.PreBootloader.Size)
            throw new InvalidOperationException($"{preBootloaderTarget}.bin is {preBootloader.Length} bytes; the pre-bootloader region is {map.PreBootloader.Size}.");
        preBootloader.CopyTo(main, 0);
        File.WriteAllBytes(Path.Combine(folder, "flash.bin"), main);

        byte[] sysmem = new byte[548];
        sysmem.AsSpan().Fill(0xFF);
        uid.ToArray().CopyTo(sysmem, 0x210);
        BinaryPrimitives.WriteUInt16LittleEndian(sysmem.AsSpan(0x222), (ushort)(map.Geometry.Size / 1024));
        File.WriteAllBytes(Path.Combine(folder, "sysmem.bin"), sysmem);
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// GetRegionHash answers whole 1 KiB granules and the valid image's whole payload only: flash holds the decrypted
/// plaintext, and the hash of a short range would read it out byte by byte (REQ-CONFIDENTIAL).
/// </summary>
public sealed class RegionHashTests
{
    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task GetRegionHash_refuses_short_and_unaligned_ranges_but_answers_granules_and_the_valid_payload(FlashFamily family)
    {
        DeviceProfile profile = Profile(family, requireEncryption: true);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        BootloaderClient client = Client(firmware);
        const int size = 5_000; // not a multiple of the granule
        FirmwareImage image = Image(profile, RegionKind.Application, V(2), size: size, encrypt: true);
        await UpdateAsync(client, UpdateTarget.Application, image);
        uint start = profile.MemoryMap.Application.Address;

        // A byte at a time would be 256 guesses per byte of decrypted firmware: refused, as is any unaligned range.
        foreach ((uint offset, uint length) in new (uint, uint)[] { (0, 1), (7, 1), (1, 1024), (0, 1023), (1024, 1), (512, 1024), (0, size - 1), (0, size + 1) })
            Assert.Equal(BootloaderError.RangeNotAllowed, await ErrorOf(() => client.GetRegionHashAsync(RegionKind.Application, offset, length)));
        Assert.Equal(BootloaderError.RangeNotAllowed, await ErrorOf(() => client.GetRegionHashAsync(RegionKind.BootloaderB, 0, 1)));
        Assert.Equal(BootloaderError.OutOfRange, await ErrorOf(() => client.GetRegionHashAsync(RegionKind.Application, (uint)profile.MemoryMap.Application.Size, 1024)));

        // What a host asks: the whole payload of the valid image (after an update, or "is it already installed?").
        Assert.Equal(image.Manifest.PayloadSha256.ToArray(), (await client.GetRegionHashAsync(RegionKind.Application, 0, size)).Sha256);
        // Whole granules, anywhere in the region.
        Assert.Equal(SHA256.HashData(flash.ReadBytes(start, 4096)), (await client.GetRegionHashAsync(RegionKind.Application, 0, 4096)).Sha256);
        Assert.Equal(SHA256.HashData(flash.ReadBytes(start + 1024, 2048)), (await client.GetRegionHashAsync(RegionKind.Application, 1024, 2048)).Sha256);
    }
}

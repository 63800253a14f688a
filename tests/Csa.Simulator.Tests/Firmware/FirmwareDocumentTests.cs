using Csa.Simulator.Tests.Support;
using System.Text.RegularExpressions;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>Sections 5 and 6 of docs/device-model.md must stay true: golden vectors and figures are checked against the code.</summary>
public class FirmwareDocumentTests
{
    private static byte[] Golden(string name) => DeviceModelDocument.Golden(name);

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public void The_pre_bootloader_marker_matches_the_golden_vector() =>
        Assert.Equal(Golden("prebootloader-marker"), PreBootloaderMarker.Encode(1, 0, 0));

    /// <summary>
    /// On a chip the pre-bootloader's code owns the reset vector and its build puts the record in the region's last 32
    /// bytes (section 5.1): the device finds it there on every map; a torn record there is no pre-bootloader.
    /// </summary>
    [Theory]
    [InlineData("STM32F4 1 MB")]
    [InlineData("STM32L4 1 MB")]
    [InlineData("STM32F4 2 MB")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public void The_pre_bootloader_record_in_the_region_end_is_found(string mapName)
    {
        Csa.Simulator.Memory.MemoryMap map = Csa.Simulator.Memory.MemoryMap.Known.Single(m => m.Name == mapName);
        Csa.Simulator.Memory.MemoryRegion region = map.PreBootloader;
        byte[] code = [0x00, 0x10, 0x00, 0x20, 0xC1, 0x01, 0x00, 0x08]; // initial SP and reset vector of a vector table
        byte[] marker = PreBootloaderMarker.Encode(2, 7, 300);
        var flash = new SimulatedFlash(map.Geometry);
        flash.Program(region.Address, code);
        flash.Program(region.EndAddress - 32, marker);
        Assert.Equal(((byte)2, (byte)7, (ushort)300), PreBootloaderMarker.Read(flash, region));

        var torn = new SimulatedFlash(map.Geometry);
        marker[8] ^= 0x01;
        torn.Program(region.Address, code);
        torn.Program(region.EndAddress - 32, marker);
        Assert.Null(PreBootloaderMarker.Read(torn, region));
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public void The_trailer_slot_matches_the_golden_vectors()
    {
        byte[] body = ImageTrailer.EncodeBody("MANI"u8, "AUTH"u8);
        Assert.Equal(568, body.Length);
        Assert.Equal(Golden("trailer-slot-start"), body[..16]);
        Assert.All(body[16..], b => Assert.Equal(0xFF, b));
        Assert.Equal(Golden("trailer-commit"), ImageTrailer.EncodeCommit(body));
        Assert.True(ImageTrailer.TryDecode([.. body, .. ImageTrailer.EncodeCommit(body)], out byte[] manifest, out byte[] auth));
        Assert.Equal("MANI"u8.ToArray(), manifest);
        Assert.Equal("AUTH"u8.ToArray(), auth);
        Assert.Equal(7, ImageTrailer.SlotCount);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public void The_state_record_matches_the_golden_vector()
    {
        var record = new UpdateRecord(true, 30, UpdatePhase.Receiving, RegionKind.Application, 0x20000, 140_000, 2,
            Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        Assert.Equal(Golden("state-record"), record.Encode());
        Assert.Equal(record.Encode(), UpdateRecord.Decode(Golden("state-record")).Encode());
        Assert.True(record.Encode().Length <= DeviceFirmware.JournalSlotSize - 16);
        Assert.False(record.Revokes(RegionKind.Application));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public void The_state_record_with_a_revoked_region_matches_the_golden_vector()
    {
        UpdateRecord record = new UpdateRecord(true, 30, UpdatePhase.Receiving, RegionKind.Application, 0x20000, 140_000, 2,
            Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()).Revoking(RegionKind.Application);
        Assert.Equal(Golden("state-record-revoked"), record.Encode());
        UpdateRecord back = UpdateRecord.Decode(Golden("state-record-revoked"));
        Assert.True(back.Revokes(RegionKind.Application));
        Assert.False(back.Revokes(RegionKind.BootloaderB));
        Assert.False(back.Restoring(RegionKind.Application).Revokes(RegionKind.Application));
        byte[] noise = Golden("state-record-revoked");
        noise[18] = 0xF1; // bits that name no image region are ignored
        Assert.Equal(0, UpdateRecord.Decode(noise).Revoked);
    }

    [Theory]
    [InlineData("STM32F4 1 MB", "126 976", "651 264")]
    [InlineData("STM32L4 1 MB", "126 976", "749 568")]
    [InlineData("STM32F4 2 MB", "126 976", "1 699 840")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public void The_documented_largest_payloads_match_the_maps(string mapName, string bootloader, string application)
    {
        Csa.Simulator.Memory.MemoryMap map = Csa.Simulator.Memory.MemoryMap.Known.Single(m => m.Name == mapName);
        static string Spaced(uint n) => n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture).Replace(',', ' ');
        Assert.Equal(bootloader, Spaced(ImageTrailer.UsableSize(map.BootloaderA)));
        Assert.Equal(bootloader, Spaced(ImageTrailer.UsableSize(map.BootloaderB)));
        Assert.Equal(application, Spaced(ImageTrailer.UsableSize(map.Application)));
        Assert.Contains($"{application} bytes", DeviceModelDocument.Value.Replace("\r\n", " ").Replace('\n', ' '), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(FlashFamily.Stm32F4, 4000u)]
    [InlineData(FlashFamily.Stm32L4, 25u)]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Begin_answers_the_documented_erase_time_and_write_limits(FlashFamily family, uint eraseMs)
    {
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, _) = FactoryDevice(profile, withApplication: false);
        BeginUpdateResponse begin = await BeginAsync(Client(firmware), UpdateTarget.Application, Image(profile, RegionKind.Application, V(2)));
        Assert.Equal(eraseMs, begin.EraseMillisecondsMax);
        Assert.Equal(16, begin.WriteAlignment);
        Assert.Equal(4096, begin.MaxWriteSize);
    }
}

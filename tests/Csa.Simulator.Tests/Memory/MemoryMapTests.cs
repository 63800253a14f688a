using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Tests.Memory;

public class MemoryMapTests
{
    public static TheoryData<string> Maps => new() { "STM32F4 1 MB", "STM32F4 2 MB", "STM32L4 1 MB" };

    private static MemoryMap Map(string name) => MemoryMap.Known.Single(m => m.Name == name);

    [Theory]
    [MemberData(nameof(Maps))]
    public void Every_region_is_whole_sectors_and_no_two_share_a_sector(string name)
    {
        MemoryMap map = Map(name);
        var owner = new Dictionary<int, MemoryRegionKind>();
        foreach (MemoryRegion region in map.Regions)
        {
            Assert.Equal(region.Address, map.Geometry.Sectors[region.FirstSector].Address);
            Assert.Equal(region.Size, region.Sectors.Sum(s => s.Size));
            foreach (FlashSector s in region.Sectors)
                Assert.True(owner.TryAdd(s.Index, region.Kind), $"sector {s.Index} in {owner.GetValueOrDefault(s.Index)} and {region.Kind}");
        }
        Assert.Equal(map.Geometry.BaseAddress, map.PreBootloader.Address);
    }

    [Theory]
    [MemberData(nameof(Maps))]
    [Trait("Requirement", "REQ-UPD-BL")]
    public void Regions_are_large_enough_for_the_product(string name)
    {
        MemoryMap map = Map(name);
        Assert.True(map.PreBootloader.Size >= 4 * 1024);
        Assert.True(map.BootloaderA.Size >= 100 * 1024);
        Assert.Equal(map.BootloaderA.Size, map.BootloaderB.Size);
        Assert.True(map.Application.Size >= 512 * 1024);
        Assert.Same(map.BootloaderB, map.OtherBootloader(map.BootloaderA));
        Assert.Same(map.BootloaderA, map.OtherBootloader(map.BootloaderB));
        Assert.Throws<ArgumentException>(() => map.OtherBootloader(map.Application));
    }

    [Theory]
    [InlineData("STM32F4 2 MB")]
    [InlineData("STM32L4 1 MB")]
    public void On_dual_bank_parts_the_bootloader_copies_sit_in_different_banks(string name)
    {
        MemoryMap map = Map(name);
        Assert.Equal([0], map.BootloaderA.Banks);
        Assert.Equal([1], map.BootloaderB.Banks);
    }

    [Fact]
    public void F4_1M_map_is_the_documented_one()
    {
        MemoryMap map = MemoryMap.Stm32F4_1M;
        Assert.Equal(
            ["PreBootloader 0x08000000 16", "StateJournalA 0x08004000 16", "StateJournalB 0x08008000 16", "Provisioning 0x0800C000 16",
             "ApplicationData 0x08010000 64", "BootloaderA 0x08020000 128", "BootloaderB 0x08040000 128", "Application 0x08060000 640"],
            map.Regions.Select(r => $"{r.Kind} 0x{r.Address:X8} {r.Size / 1024}"));
        Assert.Same(map, MemoryMap.For(FlashGeometry.Stm32F4_1M));
        Assert.Equal(0x1FFF7900u, map.SecurityCounterOtp.Address);
    }

    [Fact]
    public void L4_1M_map_is_the_documented_one()
    {
        MemoryMap map = MemoryMap.Stm32L4_1M;
        Assert.Equal(
            ["PreBootloader 0x08000000 16", "StateJournalA 0x08004000 2", "StateJournalB 0x08004800 2", "Provisioning 0x08005000 4",
             "ApplicationData 0x08006000 8", "BootloaderA 0x08008000 128", "Application 0x08028000 736", "BootloaderB 0x080E0000 128"],
            map.Regions.Select(r => $"{r.Kind} 0x{r.Address:X8} {r.Size / 1024}"));
        Assert.Equal(0x1FFF7200u, map.SecurityCounterOtp.Address);
    }

    [Fact]
    public void Invalid_maps_are_rejected()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_1M;
        MemoryRegion R(MemoryRegionKind k, int first, int count = 1) => MemoryRegion.FromSectors(k, g, first, count);
        OtpRegion otp = new("x", g.OtpAddress, 32);
        MemoryRegion[] good =
        [
            R(MemoryRegionKind.PreBootloader, 0), R(MemoryRegionKind.StateJournalA, 1), R(MemoryRegionKind.StateJournalB, 2),
            R(MemoryRegionKind.Provisioning, 3), R(MemoryRegionKind.ApplicationData, 4), R(MemoryRegionKind.BootloaderA, 5),
            R(MemoryRegionKind.BootloaderB, 6), R(MemoryRegionKind.Application, 7, 5),
        ];
        _ = new MemoryMap("ok", g, good, otp, otp);
        Assert.Throws<ArgumentException>(() => new MemoryMap("missing", g, good[..^1], otp, otp));
        Assert.Throws<ArgumentException>(() => new MemoryMap("overlap", g, [.. good[..^1], R(MemoryRegionKind.Application, 6, 6)], otp, otp));
        Assert.Throws<ArgumentException>(() => new MemoryMap("otp", g, good, otp, new OtpRegion("y", g.OtpAddress + 520, 16)));
        Assert.Throws<ArgumentOutOfRangeException>(() => R(MemoryRegionKind.Application, 7, 6));
    }
}

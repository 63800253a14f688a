using Csa.Simulator.Flash;

namespace Csa.Simulator.Tests.Flash;

public class FlashGeometryTests
{
    // RM0090 table 5: (sector, address, KB) of the 1 MB STM32F405/407.
    public static TheoryData<int, uint, int> F4Sectors => new()
    {
        { 0, 0x08000000, 16 }, { 1, 0x08004000, 16 }, { 2, 0x08008000, 16 }, { 3, 0x0800C000, 16 },
        { 4, 0x08010000, 64 }, { 5, 0x08020000, 128 }, { 6, 0x08040000, 128 }, { 7, 0x08060000, 128 },
        { 8, 0x08080000, 128 }, { 9, 0x080A0000, 128 }, { 10, 0x080C0000, 128 }, { 11, 0x080E0000, 128 },
    };

    [Theory]
    [MemberData(nameof(F4Sectors))]
    public void F4_1M_sector_table_matches_RM0090(int index, uint address, int kilobytes)
    {
        FlashSector s = FlashGeometry.Stm32F4_1M.Sectors[index];
        Assert.Equal((index, address, kilobytes * 1024, 0), (s.Index, s.Address, s.Size, s.Bank));
    }

    [Fact]
    public void F4_1M_is_one_bank_of_1_MB_ending_at_0x08100000()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_1M;
        Assert.Equal(FlashFamily.Stm32F4, g.Family);
        Assert.Equal(1024 * 1024, g.Size);
        Assert.Equal(12, g.Sectors.Count);
        Assert.Single(g.Banks);
        Assert.Equal(0x08100000u, g.EndAddress);
    }

    [Fact]
    public void F4_2M_repeats_the_layout_as_sectors_12_to_23_from_0x08100000_in_bank_2()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_2M;
        Assert.Equal(24, g.Sectors.Count);
        Assert.Equal(2, g.Banks.Count);
        for (int i = 0; i < 12; i++)
        {
            FlashSector low = g.Sectors[i], high = g.Sectors[i + 12];
            Assert.Equal(low.Address + 0x00100000u, high.Address);
            Assert.Equal(low.Size, high.Size);
            Assert.Equal(1, high.Bank);
            Assert.Equal(i, high.IndexInBank);
        }
        Assert.Equal(0x08100000u, g.Banks[1].Address);
        Assert.Equal(0x08200000u, g.EndAddress);
    }

    [Fact]
    public void F4_512K_has_sectors_0_to_7()
    {
        FlashGeometry g = FlashGeometry.Stm32F4_512K;
        Assert.Equal(8, g.Sectors.Count);
        Assert.Equal(512 * 1024, g.Size);
        Assert.Equal(0x08060000u, g.Sectors[7].Address);
    }

    [Theory]
    [InlineData("STM32L4-1M", 256, 0x08080000u)]
    [InlineData("STM32L4-512K", 128, 0x08040000u)]
    [InlineData("STM32L4-256K", 64, 0x08020000u)]
    public void L4_has_two_banks_of_2_KB_pages(string name, int pagesPerBank, uint bank2)
    {
        FlashGeometry g = FlashGeometry.FindByName(name)!;
        Assert.Equal(FlashFamily.Stm32L4, g.Family);
        Assert.Equal(2 * pagesPerBank, g.Sectors.Count);
        Assert.All(g.Sectors, s => Assert.Equal(2048, s.Size));
        Assert.Equal(bank2, g.Banks[1].Address);
        FlashSector firstOfBank2 = g.Sectors[pagesPerBank];
        Assert.Equal((1, 0, bank2), (firstOfBank2.Bank, firstOfBank2.IndexInBank, firstOfBank2.Address));
        Assert.Equal(8, g.MinimumProgramUnit);
    }

    [Fact]
    public void System_memory_addresses_match_the_reference_manuals()
    {
        FlashGeometry f4 = FlashGeometry.Stm32F4_1M, l4 = FlashGeometry.Stm32L4_1M;
        Assert.Equal((0x1FFF7800u, 528, 32, 16, 0x1FFF7A00u), (f4.OtpAddress, f4.OtpSize, f4.OtpBlockSize, f4.OtpBlockCount, f4.OtpLockAddress));
        Assert.Equal(0x1FFF7A10u, f4.UniqueIdAddress);
        Assert.Equal(0x1FFF7A22u, f4.FlashSizeRegisterAddress);
        Assert.Equal((0x1FFF7000u, 1024, 0), (l4.OtpAddress, l4.OtpSize, l4.OtpBlockCount));
        Assert.Equal(0x1FFF7590u, l4.UniqueIdAddress);
        Assert.Equal(0x1FFF75E0u, l4.FlashSizeRegisterAddress);
    }

    [Theory]
    [InlineData(0x08000000u, 0)]
    [InlineData(0x0800FFFFu, 3)]
    [InlineData(0x08010000u, 4)]
    [InlineData(0x0801FFFFu, 4)]
    [InlineData(0x080FFFFFu, 11)]
    public void Sector_lookup_by_address(uint address, int sector) =>
        Assert.Equal(sector, FlashGeometry.Stm32F4_1M.GetSectorAt(address).Index);

    [Fact]
    public void Sector_lookup_outside_the_flash_is_a_typed_error()
    {
        TestFlash.ThrowsFlash(FlashError.AddressOutOfRange, () => FlashGeometry.Stm32F4_1M.GetSectorAt(0x08100000));
        TestFlash.ThrowsFlash(FlashError.AddressOutOfRange, () => FlashGeometry.Stm32F4_1M.GetSectorAt(0x07FFFFFF));
    }

    [Fact]
    public void Sectors_in_range_spans_every_touched_sector()
    {
        var sectors = FlashGeometry.Stm32F4_1M.GetSectorsInRange(0x0800FFFC, 8);
        Assert.Equal([3, 4], sectors.Select(s => s.Index));
    }

    [Fact]
    public void Every_geometry_is_contiguous_and_found_by_name()
    {
        foreach (FlashGeometry g in FlashGeometry.Known)
        {
            Assert.Same(g, FlashGeometry.FindByName(g.Name));
            uint next = g.BaseAddress;
            for (int i = 0; i < g.Sectors.Count; i++)
            {
                Assert.Equal(i, g.Sectors[i].Index);
                Assert.Equal(next, g.Sectors[i].Address);
                next = g.Sectors[i].EndAddress;
            }
            Assert.Equal(g.EndAddress, next);
        }
        Assert.Null(FlashGeometry.FindByName("STM32H7-2M"));
    }

    [Fact]
    public void A_new_flash_reads_erased_and_reports_its_size_register()
    {
        var flash = TestFlash.Create(FlashGeometry.Stm32F4_1M);
        Assert.All(flash.ReadBytes(0x08000000, 4096), b => Assert.Equal(0xFF, b));
        Assert.Equal(1024, BitConverter.ToUInt16(flash.ReadBytes(0x1FFF7A22, 2)));
        var l4 = TestFlash.Create(FlashGeometry.Stm32L4_512K);
        Assert.Equal(512, BitConverter.ToUInt16(l4.ReadBytes(0x1FFF75E0, 2)));
    }
}

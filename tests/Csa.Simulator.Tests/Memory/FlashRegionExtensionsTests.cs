using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Memory;

public class FlashRegionExtensionsTests
{
    [Fact]
    public void Erasing_a_region_erases_all_its_sectors_and_nothing_else()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        MemoryMap map = MemoryMap.Stm32F4_1M;
        flash.Program(map.Application.Address, new byte[8]);
        flash.Program(map.Application.EndAddress - 8, new byte[8]);
        flash.Program(map.BootloaderB.EndAddress - 8, new byte[8]);
        Assert.False(flash.IsBlank(map.Application));
        flash.EraseRegion(map.Application);
        Assert.True(flash.IsBlank(map.Application));
        Assert.False(flash.IsBlank(map.BootloaderB));
        Assert.Equal(5, flash.Statistics.SectorErases);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public void A_torn_L4_double_word_is_never_blank()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 0, fraction: 0));
        Assert.Throws<PowerLossException>(() => flash.Program(0x08040000, Filled(8, 0x7F)));
        flash.PowerOn();
        Assert.False(flash.IsBlank(0x08040000, 2048));
        Assert.True(flash.IsBlank(0x08040008, 2040));
    }

    [Fact]
    public async Task Async_region_erase_takes_the_sum_of_the_page_erases()
    {
        var time = new FakeTimeProvider();
        var flash = Timed(FlashGeometry.Stm32L4_1M, time);
        Task erase = flash.EraseRegionAsync(MemoryMap.Stm32L4_1M.Provisioning); // 2 pages of 22.02 ms
        for (int i = 0; i < 1000 && !erase.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(1));
            await Task.Yield();
        }
        await erase.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMicroseconds(44_040), flash.Statistics.BusyTime);
    }
}

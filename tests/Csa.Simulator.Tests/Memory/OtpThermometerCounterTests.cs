using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Memory;

[Trait("Requirement", "REQ-DOWNGRADE")]
public class OtpThermometerCounterTests
{
    [Theory]
    [InlineData("STM32F4-1M", 64)]
    [InlineData("STM32L4-1M", 64)]
    public void Counter_only_goes_up(string geometry, int capacity)
    {
        var flash = Create(FlashGeometry.FindByName(geometry)!, ProgramOverwritePolicy.RejectAnyReprogram);
        var counter = new OtpThermometerCounter(flash, MemoryMap.For(flash.Geometry)!.SecurityCounterOtp);
        Assert.Equal(capacity, counter.Capacity);
        Assert.Equal(0, counter.Read());
        counter.AdvanceTo(3);
        Assert.Equal(3, counter.Read());
        counter.AdvanceTo(2);
        Assert.Equal(3, counter.Read());
        counter.AdvanceTo(capacity);
        Assert.Equal(capacity, counter.Read());
        Assert.Throws<ArgumentOutOfRangeException>(() => counter.AdvanceTo(capacity + 1));
        flash.MassErase();
        Assert.Equal(capacity, counter.Read()); // OTP survives every erase
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public void A_cut_during_a_step_never_lowers_the_counter_and_the_next_advance_completes()
    {
        for (int seed = 0; seed < 16; seed++)
        {
            var flash = Create(FlashGeometry.Stm32L4_1M);
            var counter = new OtpThermometerCounter(flash, MemoryMap.Stm32L4_1M.SecurityCounterOtp);
            counter.AdvanceTo(5);
            flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(1, seed)); // in the second of three steps
            Assert.Throws<PowerLossException>(() => counter.AdvanceTo(8));
            flash.PowerOn();
            int value = counter.Read();
            Assert.InRange(value, 6, 7);
            counter.AdvanceTo(8);
            Assert.Equal(8, counter.Read());
        }
    }
}

using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

public class L4ProgrammingTests
{
    private const uint Page10 = 0x08005000;

    [Fact]
    public void A_double_word_programs_into_erased_flash()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(Page10, Bytes(1, 2, 3, 4, 5, 6, 7, 8));
        Assert.Equal(Bytes(1, 2, 3, 4, 5, 6, 7, 8), flash.ReadBytes(Page10, 8));
        Assert.Equal(8, flash.ProgramUnitSize);
    }

    [Fact]
    public void Programming_a_non_erased_double_word_is_PROGERR_and_writes_nothing()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(Page10 + 8, Bytes(0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
        byte[] twoDoubleWords = [.. Filled(8, 0x11), .. Filled(8, 0x00 | 0x10)];
        var e = ThrowsFlash(FlashError.ProgramOverNonErased, () => flash.Program(Page10, twoDoubleWords));
        Assert.Equal(Page10 + 8, e.Address);
        Assert.All(flash.ReadBytes(Page10, 8), b => Assert.Equal(0xFF, b)); // first double word untouched too
        Assert.Equal(0xF0, flash.ReadBytes(Page10 + 8, 1)[0]);
    }

    [Fact]
    public void Even_a_value_that_only_clears_bits_is_PROGERR_on_L4()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(Page10, Filled(8, 0xEE));
        ThrowsFlash(FlashError.ProgramOverNonErased, () => flash.Program(Page10, Filled(8, 0xCC)));
        Assert.Equal(Filled(8, 0xEE), flash.ReadBytes(Page10, 8));
    }

    [Fact]
    public void A_programmed_double_word_can_be_programmed_to_all_zeros()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(Page10, Filled(8, 0xA5));
        flash.Program(Page10, new byte[8]);
        Assert.Equal(new byte[8], flash.ReadBytes(Page10, 8));
        Assert.Equal(1, flash.Statistics.ReprogrammedUnits);
    }

    [Theory]
    [InlineData(0x08005004u, 8)]
    [InlineData(0x08005001u, 8)]
    public void Unaligned_double_word_is_PGAERR(uint address, int length)
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        ThrowsFlash(FlashError.Alignment, () => flash.Program(address, new byte[length]));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(1)]
    public void Anything_but_whole_double_words_is_SIZERR(int length)
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        ThrowsFlash(FlashError.ProgramSize, () => flash.Program(Page10, new byte[length]));
    }

    [Fact]
    public void The_F4_program_size_setting_does_not_apply_to_L4()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M, programSize: FlashProgramSize.Byte);
        ThrowsFlash(FlashError.ProgramSize, () => flash.Program(Page10, Bytes(0)));
    }

    [Fact]
    public void A_program_across_the_bank_boundary_reaches_both_banks()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(0x0807FFF8, new byte[16]);
        Assert.Equal(new byte[16], flash.ReadBytes(0x0807FFF8, 16));
    }

    [Fact]
    public void Page_erase_clears_2_KB_only()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(0x080047F8, new byte[16]); // last double word of page 8, first of page 9
        flash.EraseSector(9);
        Assert.Equal(new byte[8], flash.ReadBytes(0x080047F8, 8));
        Assert.Equal(Filled(8, 0xFF), flash.ReadBytes(0x08004800, 8));
    }
}

using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

public class F4ProgrammingTests
{
    private const uint Sector5 = 0x08020000;

    [Fact]
    public void A_word_programs_into_erased_flash_and_reads_back()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(Sector5, Bytes(0x78, 0x56, 0x34, 0x12));
        Assert.Equal(0x12345678u, flash.ReadUInt32(Sector5));
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(Sector5 + 4));
        Assert.Equal((1L, 1L, 4L), (flash.Statistics.ProgramOperations, flash.Statistics.ProgramUnits, flash.Statistics.ProgrammedBytes));
    }

    [Fact]
    public void Programming_over_programmed_flash_ANDs_the_bits_like_the_silicon()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(Sector5, Bytes(0xF0, 0x0F, 0xAA, 0x55));
        flash.Program(Sector5, Bytes(0x3C, 0xFF, 0x0F, 0xFF));
        Assert.Equal(Bytes(0x30, 0x0F, 0x0A, 0x55), flash.ReadBytes(Sector5, 4));
        Assert.Equal(1, flash.Statistics.BitSetAttempts); // 0x3C over 0xF0 wanted bits 2-3 set; 0x0F over 0xAA too
        Assert.Equal(1, flash.Statistics.ReprogrammedUnits);
    }

    [Fact]
    public void Clearing_more_bits_of_a_programmed_word_is_no_bit_set_attempt()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(Sector5, Bytes(0xEE, 0xEE, 0xFF, 0xFF));
        flash.Program(Sector5, Bytes(0x00, 0x00, 0xFF, 0xFF));
        Assert.Equal(Bytes(0x00, 0x00, 0xFF, 0xFF), flash.ReadBytes(Sector5, 4));
        Assert.Equal(0, flash.Statistics.BitSetAttempts);
        Assert.Equal(1, flash.Statistics.ReprogrammedUnits);
    }

    [Fact]
    public void Strict_policy_rejects_a_bit_set_and_writes_nothing()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M, ProgramOverwritePolicy.RejectBitSet);
        flash.Program(Sector5, Bytes(0x00, 0x11, 0x22, 0x33));
        var e = ThrowsFlash(FlashError.ProgramOverNonErased, () => flash.Program(Sector5 - 4, Bytes(0, 0, 0, 0, 0x01, 0x11, 0x22, 0x33)));
        Assert.Equal(Sector5, e.Address);
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(Sector5 - 4)); // the first, valid word was not written either
        Assert.Equal(Bytes(0x00, 0x11, 0x22, 0x33), flash.ReadBytes(Sector5, 4));
        Assert.Equal(1, flash.Statistics.BitSetAttempts);
        flash.Program(Sector5, Bytes(0x00, 0x00, 0x00, 0x00)); // clearing bits stays allowed
    }

    [Fact]
    public void Strictest_policy_rejects_any_reprogram()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M, ProgramOverwritePolicy.RejectAnyReprogram);
        flash.Program(Sector5, Bytes(0xEE, 0xEE, 0xEE, 0xEE));
        ThrowsFlash(FlashError.ProgramOverNonErased, () => flash.Program(Sector5, Bytes(0, 0, 0, 0)));
        Assert.Equal(0xEEEEEEEEu, flash.ReadUInt32(Sector5));
    }

    [Theory]
    [InlineData(FlashProgramSize.Word, 0x08020002u, 4)]
    [InlineData(FlashProgramSize.HalfWord, 0x08020001u, 2)]
    [InlineData(FlashProgramSize.DoubleWord, 0x08020004u, 8)]
    public void Unaligned_program_is_PGAERR(FlashProgramSize size, uint address, int length)
    {
        var flash = Create(FlashGeometry.Stm32F4_1M, programSize: size);
        ThrowsFlash(FlashError.Alignment, () => flash.Program(address, new byte[length]));
        Assert.Equal(0, flash.Statistics.OperationCount);
    }

    [Fact]
    public void A_length_that_is_not_whole_words_is_PGPERR()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        ThrowsFlash(FlashError.ProgramSize, () => flash.Program(Sector5, new byte[6]));
        Assert.All(flash.ReadBytes(Sector5, 8), b => Assert.Equal(0xFF, b));
    }

    [Fact]
    public void Byte_parallelism_programs_single_bytes_at_any_address()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M, programSize: FlashProgramSize.Byte);
        flash.Program(Sector5 + 3, Bytes(0x5A));
        Assert.Equal(Bytes(0xFF, 0xFF, 0xFF, 0x5A), flash.ReadBytes(Sector5, 4));
        Assert.Equal(1, flash.ProgramUnitSize);
    }

    [Fact]
    public void Empty_program_is_a_sequence_error()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        ThrowsFlash(FlashError.ProgrammingSequence, () => flash.Program(Sector5, ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    [InlineData(0x080FFFFCu, 8)]
    [InlineData(0x07FFFFFCu, 4)]
    [InlineData(0x20000000u, 4)]
    public void Programs_outside_the_flash_are_rejected(uint address, int length)
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.Program(address, new byte[length]));
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x080FFFFC));
    }

    [Fact]
    public void Erase_restores_0xFF_and_counts_a_cycle()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08004000, new byte[16 * 1024]);
        flash.EraseSector(1);
        Assert.All(flash.ReadBytes(0x08004000, 16 * 1024), b => Assert.Equal(0xFF, b));
        Assert.Equal(1, flash.GetEraseCycles(1));
        Assert.Equal(0, flash.GetEraseCycles(0));
        flash.Program(0x08004000, Bytes(1, 2, 3, 4)); // programmable again
        Assert.Equal(0x04030201u, flash.ReadUInt32(0x08004000));
    }

    [Fact]
    public void Erase_touches_only_its_own_sector()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08003FFC, new byte[8]); // last word of sector 0, first of sector 1
        flash.EraseSector(1);
        Assert.Equal(0u, flash.ReadUInt32(0x08003FFC));
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08004000));
    }

    [Fact]
    public void Erasing_a_missing_sector_is_a_typed_error()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.EraseSector(12));
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.EraseSector(-1));
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.EraseBank(1));
    }

    [Fact]
    public void Bank_erase_of_a_dual_bank_part_leaves_the_other_bank()
    {
        var flash = Create(FlashGeometry.Stm32F4_2M);
        flash.Program(0x08000000, new byte[4]);
        flash.Program(0x08100000, new byte[4]);
        flash.EraseBank(1);
        Assert.Equal(0u, flash.ReadUInt32(0x08000000));
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08100000));
        Assert.Equal(1, flash.GetEraseCycles(12));
        Assert.Equal(0, flash.GetEraseCycles(0));
        flash.MassErase();
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08000000));
        Assert.Equal((0L, 2L), (flash.Statistics.SectorErases, flash.Statistics.MassErases));
    }

    [Fact]
    public void Wear_beyond_endurance_is_reported_and_optionally_fails()
    {
        var report = Create(FlashGeometry.Stm32L4_256K);
        for (int i = 0; i < 10_001; i++)
            report.EraseSector(3);
        Assert.Equal([3], report.WornSectors);
        Assert.Equal(10_001, report.GetEraseCycles(3));

        var strict = Create(FlashGeometry.Stm32L4_256K, failBeyondEndurance: true);
        for (int i = 0; i < 10_000; i++)
            strict.EraseSector(3);
        ThrowsFlash(FlashError.EnduranceExceeded, () => strict.EraseSector(3));
        Assert.Empty(strict.WornSectors);
    }
}

using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

[Trait("Requirement", "REQ-BOOT-VERIFY")]
public class ProtectionTests
{
    [Fact]
    public void Write_protected_sector_refuses_program_and_erase_with_WRPERR()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08000000, Bytes(0x12, 0x34, 0x56, 0x78));
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithWriteProtection(0));
        ThrowsFlash(FlashError.WriteProtected, () => flash.EraseSector(0));
        ThrowsFlash(FlashError.WriteProtected, () => flash.Program(0x08000004, new byte[4]));
        ThrowsFlash(FlashError.WriteProtected, () => flash.MassErase());
        var e = ThrowsFlash(FlashError.WriteProtected, () => flash.Program(0x08003FFC, new byte[8]));
        Assert.Equal(0x08003FFCu, e.Address);
        Assert.Equal(0x78563412u, flash.ReadUInt32(0x08000000));
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x08004000)); // nothing of the straddling write landed
        flash.EraseSector(1); // other sectors are unaffected
    }

    [Fact]
    public void Removing_write_protection_makes_the_sector_writable_again()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithWriteProtection(5, 6));
        flash.ProgramOptionBytes(flash.OptionBytes.WithoutWriteProtection(6));
        Assert.Equal([5], flash.OptionBytes.WriteProtectedSectors);
        flash.EraseSector(6);
        ThrowsFlash(FlashError.WriteProtected, () => flash.EraseSector(5));
    }

    [Fact]
    public void L4_write_protection_allows_two_page_ranges_per_bank()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithWriteProtection([.. Enumerable.Range(0, 8), 10, 300, 301]));
        ThrowsFlash(FlashError.WriteProtected, () => flash.EraseSector(7));
        ThrowsFlash(FlashError.InvalidOptionBytes, () => flash.ProgramOptionBytes(flash.OptionBytes.WithWriteProtection(12)));
        ThrowsFlash(FlashError.InvalidOptionBytes, () => flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithWriteProtection(512)));
        Assert.Equal(11, flash.OptionBytes.WriteProtectedSectors.Count);
    }

    [Fact]
    public void Read_out_protection_level_1_blocks_debugger_reads_of_the_main_flash_only()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x08000000, Bytes(1, 2, 3, 4));
        var buffer = new byte[4];
        flash.ReadThroughDebugPort(0x08000000, buffer);
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithReadOutProtection(ReadOutProtectionLevel.Level1));
        ThrowsFlash(FlashError.ReadProtected, () => flash.ReadThroughDebugPort(0x08000000, buffer));
        ThrowsFlash(FlashError.ReadProtected, () => flash.ReadThroughDebugPort(0x1FFF7800, buffer));
        flash.ReadThroughDebugPort(0x1FFF7A10, buffer); // the unique ID stays readable at level 1
        Assert.Equal(0x04030201u, flash.ReadUInt32(0x08000000)); // the CPU still reads
    }

    [Fact]
    public void Regressing_read_out_protection_to_level_0_mass_erases()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x080E0000, Bytes(1, 2, 3, 4));
        flash.Program(0x1FFF7800, Bytes(1, 2, 3, 4));
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithReadOutProtection(ReadOutProtectionLevel.Level1).WithWriteProtection(11));
        flash.ProgramOptionBytes(FlashOptionBytes.Factory);
        Assert.Equal(0xFFFFFFFFu, flash.ReadUInt32(0x080E0000));
        Assert.Equal(0x04030201u, flash.ReadUInt32(0x1FFF7800)); // OTP is not erased
        Assert.Equal(FlashOptionBytes.Factory, flash.OptionBytes);
        Assert.Equal(1, flash.GetEraseCycles(11));
    }

    [Fact]
    public void Level_2_is_permanent()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithReadOutProtection(ReadOutProtectionLevel.Level2));
        ThrowsFlash(FlashError.OptionBytesLocked, () => flash.ProgramOptionBytes(FlashOptionBytes.Factory));
        ThrowsFlash(FlashError.ReadProtected, () => flash.ReadThroughDebugPort(0x1FFF7590, new byte[4]));
        Assert.Equal(ReadOutProtectionLevel.Level2, flash.OptionBytes.ReadOutProtection);
    }

    [Fact]
    public void F4_OTP_programs_once_and_locked_blocks_refuse_programs()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x1FFF7800, Bytes(0xDE, 0xAD, 0xBE, 0xEF));
        Assert.Equal(Bytes(0xDE, 0xAD, 0xBE, 0xEF), flash.ReadBytes(0x1FFF7800, 4));
        Assert.False(flash.IsOtpBlockLocked(0));
        flash.LockOtpBlock(0);
        Assert.True(flash.IsOtpBlockLocked(0));
        Assert.False(flash.IsOtpBlockLocked(1));
        Assert.Equal(Bytes(0x00, 0xFF, 0xFF, 0xFF), flash.ReadBytes(0x1FFF7A00, 4));
        ThrowsFlash(FlashError.OtpLocked, () => flash.Program(0x1FFF7804, new byte[4]));
        ThrowsFlash(FlashError.OtpLocked, () => flash.Program(0x1FFF781C, new byte[8])); // straddles blocks 0 and 1
        flash.Program(0x1FFF7820, new byte[4]); // block 1 is still open
        flash.LockOtpBlock(1);
        Assert.Equal(Bytes(0x00, 0x00, 0xFF, 0xFF), flash.ReadBytes(0x1FFF7A00, 4));
    }

    [Fact]
    public void OTP_cannot_be_erased_by_any_erase()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        flash.Program(0x1FFF7800, new byte[4]);
        flash.MassErase();
        Assert.Equal(0u, flash.ReadUInt32(0x1FFF7800));
    }

    [Fact]
    public void L4_OTP_is_programmed_by_double_words_once()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(0x1FFF7000, Bytes(1, 2, 3, 4, 5, 6, 7, 8));
        ThrowsFlash(FlashError.ProgramOverNonErased, () => flash.Program(0x1FFF7000, Filled(8, 0x01)));
        ThrowsFlash(FlashError.ProgramOverNonErased, () => flash.Program(0x1FFF7000, new byte[8])); // not even zeros
        Assert.Equal(Bytes(1, 2, 3, 4, 5, 6, 7, 8), flash.ReadBytes(0x1FFF7000, 8));
        ThrowsFlash(FlashError.Alignment, () => flash.Program(0x1FFF7004, new byte[8]));
        flash.Program(0x1FFF73F8, new byte[8]); // last double word
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.Program(0x1FFF7400, new byte[8]));
        Assert.Throws<NotSupportedException>(() => flash.LockOtpBlock(0));
    }

    [Theory]
    [InlineData("STM32F4-1M", 0x1FFF7A10u)]
    [InlineData("STM32L4-1M", 0x1FFF7590u)]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public void Unique_id_reads_as_configured_and_is_read_only(string geometry, uint uidAddress)
    {
        var flash = Create(FlashGeometry.FindByName(geometry)!);
        Assert.Equal(Uid, flash.ReadBytes(uidAddress, 12));
        Assert.Equal(Uid, flash.UniqueId);
        ThrowsFlash(FlashError.ReadOnlyArea, () => flash.Program(uidAddress, new byte[8]));
        Assert.Equal(Uid, flash.ReadBytes(uidAddress, 12));
    }

    [Fact]
    public void Unconfigured_unique_ids_differ_between_devices_and_bad_ones_are_rejected()
    {
        var a = new SimulatedFlash(FlashGeometry.Stm32F4_1M);
        var b = new SimulatedFlash(FlashGeometry.Stm32F4_1M);
        Assert.NotEqual(a.UniqueId, b.UniqueId);
        Assert.Throws<ArgumentException>(() => new SimulatedFlash(FlashGeometry.Stm32F4_1M, new SimulatedFlashOptions { UniqueId = new byte[11] }));
    }

    [Fact]
    public void Reads_outside_every_area_or_across_areas_are_typed_errors()
    {
        var flash = Create(FlashGeometry.Stm32F4_1M);
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.ReadBytes(0x080FFFFE, 4));
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.ReadBytes(0x1FFF7A0E, 4)); // OTP lock bytes into UID
        ThrowsFlash(FlashError.AddressOutOfRange, () => flash.ReadBytes(0x40000000, 1));
    }
}

using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

[Trait("Requirement", "REQ-RECOVER")]
public sealed class FlashImageFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csa-flash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Round_trip_keeps_content_otp_uid_option_bytes_wear_and_ecc_state()
    {
        var flash = Create(FlashGeometry.Stm32L4_1M);
        flash.Program(0x08000000, Filled(64, 0x42));
        flash.Program(0x1FFF7000, Filled(8, 0x13));
        flash.EraseSector(5);
        flash.EraseSector(5);
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithReadOutProtection(ReadOutProtectionLevel.Level1).WithWriteProtection(0, 1, 2));
        flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 2));
        Assert.Throws<PowerLossException>(() => flash.Program(0x08010000, Filled(8, 0x00)));
        flash.PowerOn();

        string path = PathOf("device.flash");
        FlashImageFile.Save(flash, path);
        SimulatedFlash loaded = FlashImageFile.Load(path, new SimulatedFlashOptions { TimingProfile = FlashTimingProfile.Instant });

        Assert.Same(FlashGeometry.Stm32L4_1M, loaded.Geometry);
        Assert.Equal(flash.ReadRaw(0x08000000, flash.Geometry.Size), loaded.ReadRaw(0x08000000, flash.Geometry.Size));
        Assert.Equal(Filled(8, 0x13), loaded.ReadBytes(0x1FFF7000, 8));
        Assert.Equal(Uid, loaded.UniqueId);
        Assert.Equal(flash.OptionBytes, loaded.OptionBytes);
        Assert.Equal(2, loaded.GetEraseCycles(5));
        Assert.True(loaded.IsEccBroken(0x08010000));
        ThrowsFlash(FlashError.EccDoubleError, () => loaded.ReadBytes(0x08010000, 8));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public async Task Async_save_replaces_an_existing_file()
    {
        string path = PathOf("device.flash");
        var flash = Create(FlashGeometry.Stm32F4_1M);
        FlashImageFile.Save(flash, path);
        flash.Program(0x08000000, Bytes(1, 2, 3, 4));
        await FlashImageFile.SaveAsync(flash, path);
        Assert.Equal(0x04030201u, FlashImageFile.Load(path, expectedGeometry: FlashGeometry.Stm32F4_1M).ReadUInt32(0x08000000));
    }

    private FlashImageFileException LoadFails(FlashImageFileError expected, byte[] content, FlashGeometry? geometry = null)
    {
        string path = PathOf("bad.flash");
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<FlashImageFileException>(() => FlashImageFile.Load(path, expectedGeometry: geometry));
        Assert.Equal(expected, e.Error);
        Assert.Equal(path, e.Path);
        return e;
    }

    private byte[] ValidImage(FlashGeometry geometry)
    {
        string path = PathOf("good.flash");
        FlashImageFile.Save(Create(geometry), path);
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void A_flipped_bit_anywhere_is_a_corrupt_file()
    {
        byte[] image = ValidImage(FlashGeometry.Stm32F4_512K);
        foreach (int offset in new[] { 100, image.Length / 2, image.Length - 1 })
        {
            byte[] bad = (byte[])image.Clone();
            bad[offset] ^= 0x10;
            LoadFails(FlashImageFileError.Corrupt, bad);
        }
    }

    [Fact]
    public void Truncated_and_foreign_files_are_rejected_with_their_reason()
    {
        byte[] image = ValidImage(FlashGeometry.Stm32F4_512K);
        LoadFails(FlashImageFileError.Truncated, image[..^1]);
        LoadFails(FlashImageFileError.Truncated, image[..20]);
        LoadFails(FlashImageFileError.Truncated, image[..4]);
        LoadFails(FlashImageFileError.Corrupt, [.. image, 0]);
        LoadFails(FlashImageFileError.NotAFlashImage, "PK\x03\x04 this is a zip"u8.ToArray());
        byte[] version = (byte[])image.Clone();
        version[8] = 2;
        LoadFails(FlashImageFileError.UnsupportedVersion, version);
    }

    [Fact]
    public void Geometry_must_be_known_and_match_the_expected_one()
    {
        byte[] image = ValidImage(FlashGeometry.Stm32F4_512K);
        LoadFails(FlashImageFileError.GeometryMismatch, image, FlashGeometry.Stm32F4_1M);
        byte[] renamed = (byte[])image.Clone();
        renamed[14 + "STM32F4-".Length] = (byte)'X'; // "STM32F4-X12K"
        LoadFails(FlashImageFileError.UnknownGeometry, renamed);
    }

    [Fact]
    public void The_header_is_as_documented()
    {
        byte[] image = ValidImage(FlashGeometry.Stm32F4_1M);
        Assert.Equal("CSAFLASH"u8.ToArray(), image[..8]);
        Assert.Equal(Bytes(0x01, 0x00, 0x00, 0x00, 0x0A, 0x00), image[8..14]); // version 1, F4, RDP 0, name length 10
        Assert.Equal("STM32F4-1M"u8.ToArray(), image[14..24]);
        Assert.Equal(Bytes(0x00, 0x00, 0x10, 0x00), image[24..28]);             // main size 1 MB
        Assert.Equal(Csa.DataLink.Crc32Mpeg2.Compute(image.AsSpan(0, image.Length - 4)), BitConverter.ToUInt32(image, image.Length - 4));
    }
}

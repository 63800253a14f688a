using System.IO.Compression;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.TestFlash;

namespace Csa.Simulator.Tests.Flash;

/// <summary>
/// The C device's flash simulation (firmware/flashsim) reads and writes the same flash image files
/// (docs/device-model.md 1.6). These tests pin the files this library writes for a fixed recipe of operations to the
/// golden files in firmware/flashsim/tests/data; the C test flash.file_interop loads the same files, checks what the
/// recipe left in them and writes them back byte for byte (and, for the F4 recipe, which has no random tear, runs the
/// recipe itself and writes the identical file). Set CSA_REGENERATE_FLASH_GOLDEN=1 to rewrite the goldens after a
/// deliberate format change.
/// </summary>
[Trait("Requirement", "REQ-RECOVER")]
public sealed class FlashImageFileInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("csa-flash-interop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Recipes() => new() { "STM32F4-512K", "STM32L4-256K" };

    [Theory]
    [MemberData(nameof(Recipes))]
    public void The_recipe_writes_the_golden_file_the_C_simulation_reads(string geometryName)
    {
        FlashGeometry geometry = FlashGeometry.FindByName(geometryName)!;
        SimulatedFlash flash = RunRecipe(geometry);
        string path = Path.Combine(_dir, "recipe.flash");
        FlashImageFile.Save(flash, path);
        byte[] written = File.ReadAllBytes(path);
        string golden = GoldenPath(geometry);
        if (Environment.GetEnvironmentVariable("CSA_REGENERATE_FLASH_GOLDEN") == "1")
        {
            using FileStream file = File.Create(golden);
            using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
            gzip.Write(written);
        }
        Assert.Equal(Decompress(golden), written);
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void The_golden_file_loads_with_what_the_recipe_left(string geometryName)
    {
        FlashGeometry geometry = FlashGeometry.FindByName(geometryName)!;
        string path = Path.Combine(_dir, "golden.flash");
        File.WriteAllBytes(path, Decompress(GoldenPath(geometry)));
        SimulatedFlash loaded = FlashImageFile.Load(path, new SimulatedFlashOptions { TimingProfile = FlashTimingProfile.Instant }, geometry);

        Assert.Equal(Uid, loaded.UniqueId);
        Assert.Equal(Pattern(), loaded.ReadBytes(geometry.BaseAddress, 32));
        Assert.Equal(Filled(16, 0xA5), loaded.ReadBytes(0x08020000, 16));
        Assert.Equal(Filled(8, 0x13), loaded.ReadBytes(geometry.OtpAddress + 0x100, 8));
        Assert.Equal(2, loaded.GetEraseCycles(3));
        Assert.Equal(ReadOutProtectionLevel.Level1, loaded.OptionBytes.ReadOutProtection);
        Assert.True(loaded.OptionBytes.IsWriteProtected(0));
        Assert.True(loaded.OptionBytes.IsWriteProtected(1));
        Assert.False(loaded.OptionBytes.IsWriteProtected(2));
        if (geometry.Family == FlashFamily.Stm32F4)
        {
            ThrowsFlash(FlashError.OtpLocked, () => loaded.Program(geometry.OtpAddress + 2 * 32, Filled(4, 0)));
        }
        else
        {
            Assert.Equal(Filled(8, 0x00), loaded.ReadBytes(0x08001000, 8));
            Assert.True(loaded.IsEccBroken(0x08001008));
        }
    }

    /// <summary>The recipe; the C test runs the same one (firmware/flashsim/tests/test_flash_interop.c).</summary>
    private static SimulatedFlash RunRecipe(FlashGeometry geometry)
    {
        SimulatedFlash flash = Create(geometry);
        flash.Program(geometry.BaseAddress, Pattern());
        flash.Program(0x08020000, Filled(16, 0xA5));
        flash.Program(geometry.OtpAddress + 0x100, Filled(8, 0x13));
        flash.EraseSector(3);
        flash.EraseSector(3);
        if (geometry.Family == FlashFamily.Stm32F4)
            flash.LockOtpBlock(2);
        flash.ProgramOptionBytes(FlashOptionBytes.Factory.WithReadOutProtection(ReadOutProtectionLevel.Level1).WithWriteProtection(0, 1));
        if (geometry.Family == FlashFamily.Stm32L4)
        {
            // A program torn in its second double word: the first lands (zeros), the second reads as an ECC error.
            flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(0, seed: 2, fraction: 0.5));
            Assert.Throws<PowerLossException>(() => flash.Program(0x08001000, Filled(16, 0x00)));
            flash.PowerOn();
        }
        return flash;
    }

    private static byte[] Pattern()
    {
        var p = new byte[32];
        for (int i = 0; i < p.Length; i++)
            p[i] = (byte)(i * 7);
        return p;
    }

    private static string GoldenPath(FlashGeometry geometry)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return Path.Combine(dir.FullName, "firmware", "flashsim", "tests", "data", $"csharp-{geometry.Name.ToLowerInvariant()}.flash.gz");
        throw new FileNotFoundException("Csa.sln not found above the test directory.");
    }

    private static byte[] Decompress(string path)
    {
        using FileStream file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }
}

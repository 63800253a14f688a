using BenchmarkDotNet.Attributes;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Benchmarks.Flash;

/// <summary>
/// How fast the flash model itself runs (Instant timing, so only simulation cost is measured): this bounds how many
/// power-cut points a test can afford.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class FlashModelBenchmarks
{
    private readonly byte[] _chunk = new byte[256];
    private SimulatedFlash _f4 = null!;
    private SimulatedFlash _l4 = null!;
    private StateJournal _journal = null!;
    private string _imagePath = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new SimulatedFlashOptions { TimingProfile = FlashTimingProfile.Instant, UniqueId = new byte[12] };
        _f4 = new SimulatedFlash(FlashGeometry.Stm32F4_1M, options);
        _l4 = new SimulatedFlash(FlashGeometry.Stm32L4_1M, options);
        _journal = new StateJournal(_l4, MemoryMap.Stm32L4_1M);
        _imagePath = Path.Combine(Path.GetTempPath(), $"csa-bench-{Environment.ProcessId}.flash");
        Random.Shared.NextBytes(_chunk);
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_imagePath);

    /// <summary>Erase the 640 KB application region of the F4 map and program it in 256-byte writes.</summary>
    [Benchmark]
    public void F4_write_640_KB_application_in_256_byte_chunks()
    {
        MemoryRegion app = MemoryMap.Stm32F4_1M.Application;
        foreach (FlashSector sector in app.Sectors)
            _f4.EraseSector(sector.Index);
        for (uint offset = 0; offset < app.Size; offset += (uint)_chunk.Length)
            _f4.Program(app.Address + offset, _chunk);
    }

    /// <summary>One state journal append with 64-byte slots (scan of both pages, program, one rollover in 32).</summary>
    [Benchmark]
    public JournalRecord L4_state_journal_append() => _journal.Append("state"u8);

    /// <summary>Save and load a 1 MB L4 flash image file.</summary>
    [Benchmark]
    public SimulatedFlash Save_and_load_1_MB_image()
    {
        FlashImageFile.Save(_l4, _imagePath);
        return FlashImageFile.Load(_imagePath);
    }
}

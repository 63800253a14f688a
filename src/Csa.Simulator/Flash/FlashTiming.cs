namespace Csa.Simulator.Flash;

/// <summary>
/// The datasheet durations of the flash operations of one family. STM32F4 (DS8626, x32 parallelism at 2.7-3.6 V):
/// word program 16 us typ / 100 us max; sector erase 16 KB 250/800 ms, 64 KB 550/2400 ms, 128 KB 1000/4000 ms;
/// bank (mass) erase 8/16 s per 1 MB bank. STM32L4 (DS10198): double-word program 81.69/90.76 us; page erase
/// 22.02/24.47 ms; mass erase 22.13/25.0 ms.
/// </summary>
public sealed class FlashTiming
{
    private static readonly FlashTiming F4 = new(
        FlashFamily.Stm32F4,
        programUnit: (Us(16), Us(100)),
        eraseBySize: new Dictionary<int, (TimeSpan, TimeSpan)>
        {
            [16 * 1024] = (Ms(250), Ms(800)),
            [64 * 1024] = (Ms(550), Ms(2400)),
            [128 * 1024] = (Ms(1000), Ms(4000)),
        },
        bankErase: (Ms(8000), Ms(16000)),
        massEraseIsPerBank: true);

    private static readonly FlashTiming L4 = new(
        FlashFamily.Stm32L4,
        programUnit: (Us(81.69), Us(90.76)),
        eraseBySize: new Dictionary<int, (TimeSpan, TimeSpan)> { [2048] = (Us(22_020), Us(24_470)) },
        bankErase: (Us(22_130), Us(25_000)),
        massEraseIsPerBank: false);

    private readonly (TimeSpan Typical, TimeSpan WorstCase) _programUnit;
    private readonly IReadOnlyDictionary<int, (TimeSpan Typical, TimeSpan WorstCase)> _eraseBySize;
    private readonly (TimeSpan Typical, TimeSpan WorstCase) _bankErase;
    private readonly bool _massEraseIsPerBank;

    private FlashTiming(
        FlashFamily family, (TimeSpan, TimeSpan) programUnit, IReadOnlyDictionary<int, (TimeSpan, TimeSpan)> eraseBySize,
        (TimeSpan, TimeSpan) bankErase, bool massEraseIsPerBank)
    {
        Family = family;
        _programUnit = programUnit;
        _eraseBySize = eraseBySize;
        _bankErase = bankErase;
        _massEraseIsPerBank = massEraseIsPerBank;
    }

    /// <summary>The family the figures belong to.</summary>
    public FlashFamily Family { get; }

    /// <summary>The timing table of <paramref name="family"/>.</summary>
    public static FlashTiming For(FlashFamily family) => family == FlashFamily.Stm32F4 ? F4 : L4;

    /// <summary>
    /// The time one program access takes (F4: any parallelism, the datasheet gives one figure; L4: one double
    /// word).
    /// </summary>
    public TimeSpan ProgramUnit(FlashTimingProfile profile) => Pick(_programUnit, profile);

    /// <summary>The time programming <paramref name="units"/> program accesses takes.</summary>
    public TimeSpan Program(int units, FlashTimingProfile profile) => Pick(_programUnit, profile) * units;

    /// <summary>The time erasing <paramref name="sector"/> takes.</summary>
    public TimeSpan Erase(FlashSector sector, FlashTimingProfile profile)
    {
        ArgumentNullException.ThrowIfNull(sector);
        return _eraseBySize.TryGetValue(sector.Size, out var figures)
            ? Pick(figures, profile)
            : throw new ArgumentException($"No erase time is known for a {sector.Size}-byte {Family} sector.", nameof(sector));
    }

    /// <summary>The time a mass erase of <paramref name="banks"/> banks takes (F4 erases bank by bank; L4 in one go).</summary>
    public TimeSpan MassErase(int banks, FlashTimingProfile profile) =>
        Pick(_bankErase, profile) * (_massEraseIsPerBank ? Math.Max(1, banks) : 1);

    private static TimeSpan Pick((TimeSpan Typical, TimeSpan WorstCase) figures, FlashTimingProfile profile) => profile switch
    {
        FlashTimingProfile.Typical => figures.Typical,
        FlashTimingProfile.WorstCase => figures.WorstCase,
        FlashTimingProfile.Instant => TimeSpan.Zero,
        _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "Unknown timing profile."),
    };

    // Whole ticks (100 ns): 81.69 us is 816.9 ticks; round to keep virtual-time arithmetic exact.
    private static TimeSpan Us(double microseconds) => TimeSpan.FromTicks((long)Math.Round(microseconds * 10));

    private static TimeSpan Ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
}

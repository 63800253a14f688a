namespace Csa.Simulator.Flash;

/// <summary>
/// When a planned power cut hits the flash, counted in operations (program, sector erase, mass erase, option
/// bytes) from the moment the plan is armed with <see cref="SimulatedFlash.ArmPowerCut"/>. Run a scenario once
/// uninterrupted, read <see cref="FlashStatistics.OperationCount"/>, then cut at every index in turn.
/// </summary>
public sealed record PowerCutPlan
{
    private PowerCutPlan(long operationIndex, bool duringOperation, int seed, TornEraseStyle eraseStyle, double? fraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(operationIndex);
        if (fraction is < 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The cut fraction must be in [0, 1).");
        OperationIndex = operationIndex;
        DuringOperation = duringOperation;
        Seed = seed;
        EraseStyle = eraseStyle;
        Fraction = fraction;
    }

    /// <summary>The zero-based index of the operation the cut hits, counted from arming (0 = the next one).</summary>
    public long OperationIndex { get; }

    /// <summary>False: the power fails just before the operation starts (nothing of it happens). True: in its middle.</summary>
    public bool DuringOperation { get; }

    /// <summary>The seed of the random tear (which bits of a torn program land, what a torn erase leaves).</summary>
    public int Seed { get; }

    /// <summary>What an interrupted erase leaves behind.</summary>
    public TornEraseStyle EraseStyle { get; }

    /// <summary>How far the operation got, in [0, 1); null draws it from <see cref="Seed"/>.</summary>
    public double? Fraction { get; }

    /// <summary>Cut the power just before operation <paramref name="operationIndex"/> (zero-based) starts.</summary>
    public static PowerCutPlan BeforeOperation(long operationIndex) =>
        new(operationIndex, duringOperation: false, seed: 0, TornEraseStyle.PartiallyErasedBits, fraction: null);

    /// <summary>
    /// Cut the power in the middle of operation <paramref name="operationIndex"/> (zero-based): a program lands on
    /// the units before the cut point, the unit at the cut point gets a seeded random subset of its intended 1 -> 0
    /// bit changes (on L4 its ECC becomes inconsistent), later units are untouched; an erase leaves its sector as
    /// <paramref name="eraseStyle"/> says.
    /// </summary>
    public static PowerCutPlan DuringOperationAt(
        long operationIndex, int seed, TornEraseStyle eraseStyle = TornEraseStyle.PartiallyErasedBits, double? fraction = null) =>
        new(operationIndex, duringOperation: true, seed, eraseStyle, fraction);

    /// <inheritdoc />
    public override string ToString() =>
        DuringOperation ? $"cut during operation {OperationIndex} (seed {Seed}, {EraseStyle})" : $"cut before operation {OperationIndex}";
}

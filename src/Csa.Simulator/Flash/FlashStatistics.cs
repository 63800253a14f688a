namespace Csa.Simulator.Flash;

/// <summary>A snapshot of what a <see cref="SimulatedFlash"/> did since it was created or its statistics were reset.</summary>
public sealed record FlashStatistics
{
    /// <summary>
    /// Every started operation (program, sector erase, mass erase, option bytes), the ones cut by power included;
    /// the count a <see cref="PowerCutPlan"/> indexes. Operations refused before they started are not counted.
    /// </summary>
    public long OperationCount { get; init; }

    /// <summary>Started program operations (one per call, of any length).</summary>
    public long ProgramOperations { get; init; }

    /// <summary>Program accesses (words, double words...) that the program operations issued.</summary>
    public long ProgramUnits { get; init; }

    /// <summary>Bytes that the program operations targeted.</summary>
    public long ProgrammedBytes { get; init; }

    /// <summary>Started sector (page) erases.</summary>
    public long SectorErases { get; init; }

    /// <summary>Started mass (bank) erases.</summary>
    public long MassErases { get; init; }

    /// <summary>Started option byte programs.</summary>
    public long OptionBytePrograms { get; init; }

    /// <summary>
    /// F4 programs that needed a bit to go 0 -> 1 (so the silicon stored something else than the data written),
    /// whether or not the <see cref="ProgramOverwritePolicy"/> refused them. Correct device logic keeps this 0.
    /// </summary>
    public long BitSetAttempts { get; init; }

    /// <summary>Program units written over a unit that was not fully erased (allowed, e.g. zeroing a marker).</summary>
    public long ReprogrammedUnits { get; init; }

    /// <summary>Power cuts (planned or explicit) that happened.</summary>
    public long PowerCuts { get; init; }

    /// <summary>The summed duration of all operations: the time the controller was busy.</summary>
    public TimeSpan BusyTime { get; init; }
}

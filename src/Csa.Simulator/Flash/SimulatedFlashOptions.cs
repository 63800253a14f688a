using Microsoft.Extensions.Logging;

namespace Csa.Simulator.Flash;

/// <summary>Settings of a <see cref="SimulatedFlash"/>. Every property has a sensible default.</summary>
public sealed record SimulatedFlashOptions
{
    /// <summary>The clock the asynchronous operations wait on; <see cref="TimeProvider.System"/> by default.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Which datasheet figures operations take; <see cref="FlashTimingProfile.Typical"/> by default.</summary>
    public FlashTimingProfile TimingProfile { get; init; } = FlashTimingProfile.Typical;

    /// <summary>
    /// The 96-bit unique device ID (12 bytes, as read from the UID address: bytes 0-3 are UID[31:0]). Null picks a
    /// random one, so every new simulated device is distinct.
    /// </summary>
    public IReadOnlyList<byte>? UniqueId { get; init; }

    /// <summary>The F4 program parallelism (PSIZE); <see cref="FlashProgramSize.Word"/> by default. Ignored on L4.</summary>
    public FlashProgramSize ProgramSize { get; init; } = FlashProgramSize.Word;

    /// <summary>
    /// What a program over a non-erased location does; <see cref="ProgramOverwritePolicy.AndLikeSilicon"/> by default.
    /// </summary>
    public ProgramOverwritePolicy OverwritePolicy { get; init; } = ProgramOverwritePolicy.AndLikeSilicon;

    /// <summary>
    /// When true, erasing a sector that already has <see cref="FlashGeometry.EnduranceCycles"/> erase cycles
    /// fails with <see cref="FlashError.EnduranceExceeded"/>; when false (default) it is only reported.
    /// </summary>
    public bool FailBeyondEndurance { get; init; }

    /// <summary>The seed of the randomness of power cuts not planned by a <see cref="PowerCutPlan"/>.</summary>
    public int TearSeed { get; init; } = 1;

    /// <summary>Where the flash reports power cuts and worn sectors; silent by default.</summary>
    public ILogger? Logger { get; init; }
}

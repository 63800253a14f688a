namespace Csa.Simulator.Flash;

/// <summary>
/// The program parallelism (STM32F4 FLASH_CR.PSIZE): how many bytes one program access writes. STM32L4 always
/// programs double words.
/// </summary>
public enum FlashProgramSize
{
    /// <summary>x8: one byte per access (any supply voltage).</summary>
    Byte = 1,

    /// <summary>x16: one half-word per access.</summary>
    HalfWord = 2,

    /// <summary>x32: one word per access, what bootloaders use at 2.7-3.6 V. The F4 default.</summary>
    Word = 4,

    /// <summary>x64: one double word per access (F4 needs an external VPP; the only size on L4).</summary>
    DoubleWord = 8,
}

/// <summary>
/// What the simulated STM32F4 does when a program targets a location that is not erased. The silicon does not
/// check: the bits AND. The strict policies exist so tests can prove the device logic never relies on that.
/// STM32L4 always applies its own rule (PROGERR) on top of the policy.
/// </summary>
public enum ProgramOverwritePolicy
{
    /// <summary>Like the silicon: the new value is ANDed into the old one (only 1 -> 0 changes happen).</summary>
    AndLikeSilicon,

    /// <summary>
    /// Refuse (<see cref="FlashError.ProgramOverNonErased"/>, nothing written) a program whose value needs a bit
    /// to go 0 -> 1, i.e. one whose result would differ from the data written. Clearing further bits is allowed.
    /// </summary>
    RejectBitSet,

    /// <summary>Refuse any program over a unit that is not fully erased, even one that only clears bits.</summary>
    RejectAnyReprogram,
}

/// <summary>How long each flash operation takes in the simulation.</summary>
public enum FlashTimingProfile
{
    /// <summary>The datasheet's typical figures (the default).</summary>
    Typical,

    /// <summary>The datasheet's maximum figures: the worst case a bootloader's timeouts must survive.</summary>
    WorstCase,

    /// <summary>No time at all: for tests and tools that do not care about timing.</summary>
    Instant,
}

/// <summary>How an erase interrupted by a power cut leaves its sector or page.</summary>
public enum TornEraseStyle
{
    /// <summary>A seeded random subset of the programmed (0) bits went back to 1: the erase was under way.</summary>
    PartiallyErasedBits,

    /// <summary>Seeded random content: the worst case a reader must survive.</summary>
    RandomContent,

    /// <summary>A leading part (cut fraction of the size, in double words) is erased; the rest is untouched.</summary>
    ErasedPrefix,
}

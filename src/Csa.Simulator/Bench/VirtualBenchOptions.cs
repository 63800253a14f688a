using Csa.Simulator.Flash;

namespace Csa.Simulator;

/// <summary>What a <see cref="VirtualBench"/> is made of. One sealed record of settings, every one with a default.</summary>
public sealed record VirtualBenchOptions
{
    /// <summary>How many devices, 1..32; more than one are wired as a daisy chain behind the first. Default 1.</summary>
    public int Devices { get; init; } = 1;

    /// <summary>The chip: <see cref="FlashFamily.Stm32F4"/> (1 MB, default) or <see cref="FlashFamily.Stm32L4"/> (1 MB).</summary>
    public FlashFamily Family { get; init; } = FlashFamily.Stm32F4;

    /// <summary>Flash erase and program times. Default <see cref="FlashTimingProfile.Instant"/>, so tests never wait for the datasheet.</summary>
    public FlashTimingProfile Timing { get; init; } = FlashTimingProfile.Instant;

    /// <summary>The receive buffers each device has and advertises, 1..16. Default 4.</summary>
    public int ReceiveBuffers { get; init; } = 4;

    /// <summary>
    /// The name the bench is reached by (<c>sim:NAME</c>); null (default) picks a fresh one (<c>bench-1</c>, <c>bench-2</c>, ...).
    /// </summary>
    public string? Name { get; init; }

    /// <summary>The number of the first device: device i gets the unique id and product name of number <c>FirstDevice + i</c>. Default 0.</summary>
    public int FirstDevice { get; init; }

    internal void Validate()
    {
        if (Devices is < 1 or > 32)
            throw new ArgumentOutOfRangeException(nameof(Devices), Devices, "A bench has 1..32 devices.");
        if (ReceiveBuffers is < 1 or > 16)
            throw new ArgumentOutOfRangeException(nameof(ReceiveBuffers), ReceiveBuffers, "A device has 1..16 receive buffers.");
        if (FirstDevice is < 0 or > 65535)
            throw new ArgumentOutOfRangeException(nameof(FirstDevice), FirstDevice, "The first device number is 0..65535.");
        if (!Enum.IsDefined(Family))
            throw new ArgumentOutOfRangeException(nameof(Family), Family, "STM32F4 or STM32L4.");
    }
}

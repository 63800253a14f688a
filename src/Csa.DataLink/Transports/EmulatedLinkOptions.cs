namespace Csa.DataLink.Transports;

/// <summary>
/// The behaviour of one direction of an <see cref="EmulatedLink"/>: a UART line with 8N1 byte timing, a
/// fixed propagation latency and seeded impairments. See <c>docs/transports.md</c> for the exact model.
/// </summary>
public sealed record EmulatedChannelOptions
{
    /// <summary>Line rate in bit/s. Every byte occupies 10 bit times (start, 8 data, stop), so at most
    /// <c>BaudRate / 10</c> bytes per second pass. 0 means no rate limit (bytes leave as soon as they are
    /// written). Default 115200.</summary>
    public int BaudRate { get; init; } = 115200;

    /// <summary>Fixed one-way delay added to every byte after it has left the line. Default zero.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>Probability (0..1) that a frame (a 0x00-terminated chunk) is dropped whole. Default 0.</summary>
    public double FrameLossProbability { get; init; }

    /// <summary>Probability (0..1) that each data bit on the wire is inverted. Default 0.</summary>
    public double BitErrorRate { get; init; }

    /// <summary>Probability (0..1) that a frame is delivered twice (the copy right after the original). Default 0.</summary>
    public double FrameDuplicationProbability { get; init; }

    /// <summary>Probability (0..1) that a frame is held back and delivered right after the next frame. Default 0.</summary>
    public double FrameReorderProbability { get; init; }

    /// <summary>Bytes the sender may have waiting for the line (the UART FIFO plus driver buffer) before its
    /// flushes wait. Default 4096, like a Linux tty.</summary>
    public int TransmitBufferSize { get; init; } = 4096;

    /// <summary>True when this direction drops, corrupts, duplicates or reorders anything.</summary>
    public bool HasImpairments =>
        FrameLossProbability > 0 || BitErrorRate > 0 || FrameDuplicationProbability > 0 || FrameReorderProbability > 0;

    /// <summary>Checks every setting and throws <see cref="ArgumentOutOfRangeException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(BaudRate);
        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Latency), Latency, "The latency cannot be negative.");
        }

        CheckProbability(FrameLossProbability, nameof(FrameLossProbability));
        CheckProbability(BitErrorRate, nameof(BitErrorRate));
        CheckProbability(FrameDuplicationProbability, nameof(FrameDuplicationProbability));
        CheckProbability(FrameReorderProbability, nameof(FrameReorderProbability));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(TransmitBufferSize);
    }

    private static void CheckProbability(double value, string name)
    {
        if (!(value is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, "A probability must be between 0 and 1.");
        }
    }
}

/// <summary>Settings of an <see cref="EmulatedLink"/>: each direction's line, the seed and the clock.</summary>
public sealed record EmulatedLinkOptions
{
    /// <summary>The direction from end A to end B. Default: 115200 baud, no latency, no impairments.</summary>
    public EmulatedChannelOptions AToB { get; init; } = new();

    /// <summary>The direction from end B to end A. Default: 115200 baud, no latency, no impairments.</summary>
    public EmulatedChannelOptions BToA { get; init; } = new();

    /// <summary>Seeds every random decision. The same seed and the same bytes written give exactly the same
    /// drops, bit flips, duplicates and reorderings, whatever the timing. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The clock that paces the bytes. Default <see cref="TimeProvider.System"/>; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Both directions alike.</summary>
    /// <param name="channel">The behaviour of each direction.</param>
    /// <param name="seed">See <see cref="Seed"/>.</param>
    /// <param name="timeProvider">See <see cref="TimeProvider"/>; <c>null</c> for the system clock.</param>
    /// <returns>The options.</returns>
    public static EmulatedLinkOptions Symmetric(EmulatedChannelOptions channel, int seed = 0, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return new EmulatedLinkOptions { AToB = channel, BToA = channel, Seed = seed, TimeProvider = timeProvider ?? TimeProvider.System };
    }

    /// <summary>Checks every setting and throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(AToB);
        ArgumentNullException.ThrowIfNull(BToA);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        AToB.Validate();
        BToA.Validate();
    }
}

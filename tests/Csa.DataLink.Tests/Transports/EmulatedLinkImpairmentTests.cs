using System.Numerics;
using Csa.DataLink.Transports;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

/// <summary>The emulated link's seeded impairments, checked statistically (wide bands) and for exact repeatability.
/// The line runs without a rate limit here: impairment decisions never depend on timing.</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-RECOVER")]
public sealed class EmulatedLinkImpairmentTests
{
    private const int FrameCount = 2000;

    /// <summary>Frame i: two non-zero bytes carrying i, eight non-zero filler bytes, then the 0x00 delimiter.</summary>
    private static byte[] Frame(int index)
    {
        var frame = new byte[11];
        frame[0] = (byte)(index / 255 + 1);
        frame[1] = (byte)(index % 255 + 1);
        for (int i = 2; i < 10; i++)
        {
            frame[i] = (byte)((index * 7 + i) % 255 + 1);
        }

        return frame;
    }

    private static int IndexOf(byte[] frame) => (frame[0] - 1) * 255 + (frame[1] - 1);

    private static byte[] Stream(int frames) => Enumerable.Range(0, frames).SelectMany(Frame).ToArray();

    /// <summary>Sends <paramref name="frames"/> frames A→B and returns everything B received, plus the counters.</summary>
    private static async Task<(byte[] Received, EmulatedLinkCounters Counters)> RunAsync(EmulatedChannelOptions channel, int seed, int frames = FrameCount)
    {
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel with { BaudRate = 0 }, seed));
        await WriteAsync(link.A.Output, Stream(frames));
        await link.A.Output.CompleteAsync(); // graceful end: B's input completes after the last byte
        byte[] received = await ReadToCompletionAsync(link.B.Input);
        return (received, link.AToBCounters);
    }

    private static List<byte[]> SplitFrames(byte[] stream)
    {
        var frames = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < stream.Length; i++)
        {
            if (stream[i] == 0)
            {
                frames.Add(stream[start..(i + 1)]);
                start = i + 1;
            }
        }

        return frames;
    }

    /// <summary>
    /// A cut-through forwarder writes a frame in pieces as it arrives (protocol.md 6.3.1): loss, duplication and
    /// reordering still act on whole frames, and exactly as when each frame is written at once (the draws are made per
    /// frame, at its first byte, whatever the writes).
    /// </summary>
    [Fact]
    public async Task Impairments_stay_per_frame_when_frames_are_written_in_pieces()
    {
        var channel = new EmulatedChannelOptions { FrameLossProbability = 0.1, FrameDuplicationProbability = 0.1, FrameReorderProbability = 0.1 };
        var (whole, wholeCounters) = await RunAsync(channel, seed: 77, frames: 600);

        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel with { BaudRate = 0 }, 77));
        byte[] stream = Stream(600);
        for (int at = 0; at < stream.Length; at += 3) // pieces that straddle frame boundaries
        {
            await WriteAsync(link.A.Output, stream.AsMemory(at, Math.Min(3, stream.Length - at)));
        }

        await link.A.Output.CompleteAsync();
        byte[] pieces = await ReadToCompletionAsync(link.B.Input);

        Assert.Equal(whole, pieces);
        Assert.Equal(
            (wholeCounters.FramesDropped, wholeCounters.FramesDuplicated, wholeCounters.FramesReordered),
            (link.AToBCounters.FramesDropped, link.AToBCounters.FramesDuplicated, link.AToBCounters.FramesReordered));
        Assert.True(wholeCounters.FramesDropped > 0 && wholeCounters.FramesDuplicated > 0 && wholeCounters.FramesReordered > 0);
        Assert.All(SplitFrames(pieces), f => Assert.Equal(Frame(IndexOf(f)), f)); // every frame that arrives is whole
    }

    [Fact]
    public async Task Without_impairments_every_byte_arrives_in_order()
    {
        var (received, counters) = await RunAsync(new EmulatedChannelOptions(), seed: 1);
        Assert.Equal(Stream(FrameCount), received);
        Assert.Equal(FrameCount, counters.FramesTransmitted);
        Assert.Equal(received.Length, counters.BytesDelivered);
        Assert.Equal(0, counters.FramesDropped + counters.FramesDuplicated + counters.FramesReordered + counters.BitsFlipped);
    }

    [Fact]
    public async Task Five_percent_loss_drops_about_five_percent_of_whole_frames()
    {
        var (received, counters) = await RunAsync(new EmulatedChannelOptions { FrameLossProbability = 0.05 }, seed: 42);
        List<byte[]> frames = SplitFrames(received);

        // Binomial(2000, 0.05): mean 100, sd 9.7; the band is about +-5 sd.
        Assert.InRange(counters.FramesDropped, 50, 150);
        Assert.Equal(FrameCount - counters.FramesDropped, frames.Count);
        Assert.All(frames, f => Assert.Equal(Frame(IndexOf(f)), f)); // survivors are intact
        Assert.Equal(frames.Select(IndexOf).Order(), frames.Select(IndexOf)); // and in order
    }

    [Fact]
    public async Task Duplicated_frames_arrive_twice_back_to_back()
    {
        var (received, counters) = await RunAsync(new EmulatedChannelOptions { FrameDuplicationProbability = 0.1 }, seed: 7);
        List<int> indices = SplitFrames(received).Select(IndexOf).ToList();

        Assert.InRange(counters.FramesDuplicated, 130, 270); // mean 200, sd 13.4
        Assert.Equal(FrameCount + counters.FramesDuplicated, indices.Count);
        Assert.Equal(Enumerable.Range(0, FrameCount), indices.Distinct());
        int repeats = indices.Zip(indices.Skip(1)).Count(p => p.First == p.Second);
        Assert.Equal(counters.FramesDuplicated, repeats);
    }

    [Fact]
    public async Task A_reordered_frame_arrives_right_after_the_next_frame()
    {
        var (received, counters) = await RunAsync(new EmulatedChannelOptions { FrameReorderProbability = 0.1 }, seed: 9);
        List<int> indices = SplitFrames(received).Select(IndexOf).ToList();

        Assert.InRange(counters.FramesReordered, 110, 260); // mean ~180 (one held at a time)

        // A frame held at the very end of the stream has no next frame to follow, so it never arrives.
        int heldAtEnd = FrameCount - indices.Count;
        Assert.InRange(heldAtEnd, 0, 1);
        Assert.Equal(indices.Count, indices.Distinct().Count());
        var swaps = 0;
        for (int i = 0; i + 1 < indices.Count; i++)
        {
            if (indices[i] > indices[i + 1])
            {
                Assert.Equal(indices[i] - 1, indices[i + 1]); // exactly one place late
                swaps++;
            }
        }

        Assert.Equal(counters.FramesReordered - heldAtEnd, swaps);
    }

    [Fact]
    public async Task Bit_errors_flip_about_BER_times_the_bits_sent_and_the_counter_is_exact()
    {
        var (received, counters) = await RunAsync(new EmulatedChannelOptions { BitErrorRate = 1e-3 }, seed: 11);
        byte[] sent = Stream(FrameCount);

        Assert.Equal(sent.Length, received.Length); // bit errors never add or remove bytes
        long differingBits = sent.Zip(received).Sum(p => BitOperations.PopCount((uint)(p.First ^ p.Second)));
        Assert.Equal(counters.BitsFlipped, differingBits);
        Assert.InRange(differingBits, 110, 250); // 176,000 bits * 1e-3 = 176, sd 13
    }

    [Fact]
    public async Task The_same_seed_gives_exactly_the_same_impairments_and_another_seed_does_not()
    {
        var channel = new EmulatedChannelOptions
        {
            FrameLossProbability = 0.05,
            BitErrorRate = 1e-4,
            FrameDuplicationProbability = 0.03,
            FrameReorderProbability = 0.03,
        };

        var first = await RunAsync(channel, seed: 1234, frames: 500);
        var second = await RunAsync(channel, seed: 1234, frames: 500);
        var other = await RunAsync(channel, seed: 4321, frames: 500);

        Assert.Equal(first.Received, second.Received);
        Assert.Equal(first.Counters.ToString(), second.Counters.ToString());
        Assert.NotEqual(first.Received, other.Received);
    }

    [Fact]
    public async Task Impairments_do_not_depend_on_how_the_sender_splits_its_writes()
    {
        var channel = new EmulatedChannelOptions { BaudRate = 0, FrameLossProbability = 0.1, BitErrorRate = 1e-3, FrameReorderProbability = 0.05 };
        var (whole, _) = await RunAsync(channel, seed: 5, frames: 300);

        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel, seed: 5));
        byte[] stream = Stream(300);
        for (int offset = 0; offset < stream.Length; offset += 13)
        {
            await WriteAsync(link.A.Output, stream.AsMemory(offset, Math.Min(13, stream.Length - offset)));
        }

        await link.A.Output.CompleteAsync();
        Assert.Equal(whole, await ReadToCompletionAsync(link.B.Input));
    }

    [Fact]
    public async Task Empty_chunks_between_delimiters_are_never_impaired()
    {
        // Only delimiters: no frame ever starts, so a 100 % loss rate drops nothing.
        var (received, counters) = await RunAsync(new EmulatedChannelOptions { FrameLossProbability = 1 }, seed: 3, frames: 0);
        Assert.Empty(received);

        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 0, FrameLossProbability = 1 }));
        await WriteAsync(link.A.Output, new byte[] { 0, 0, 0, 5, 6, 0, 0 });
        await link.A.Output.CompleteAsync();
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, await ReadToCompletionAsync(link.B.Input));
        Assert.Equal(1, link.AToBCounters.FramesDropped);
        Assert.Equal(0, counters.FramesTransmitted);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Probabilities_outside_0_to_1_are_rejected(double probability)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => EmulatedLink.CreatePair(
            EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { FrameLossProbability = probability })));
        Assert.Equal(nameof(EmulatedChannelOptions.FrameLossProbability), error.ParamName);
    }

    [Fact]
    public void A_negative_baud_rate_is_rejected()
        => Assert.Throws<ArgumentOutOfRangeException>(() => EmulatedLink.CreatePair(
            new EmulatedLinkOptions { BToA = new EmulatedChannelOptions { BaudRate = -1 } }));
}

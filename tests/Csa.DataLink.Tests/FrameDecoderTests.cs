using System.Buffers;
using Csa.DataLink.Internal;
using Csa.DataLink.Tests.Support;

namespace Csa.DataLink.Tests;

/// <summary>The stream decoder: segmentation, resynchronisation, bounded memory, and that nothing corrupt gets through.</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-RPC")]
public class FrameDecoderTests
{
    private static readonly byte[] Sample = TestFrames.Encode(TestFrames.Header(packetId: 0x0A0B), [0x00, 0x01, 0x00, 0xFF, 0x10, 0x00, 0x00]);

    [Fact]
    public void Every_golden_frame_split_at_every_pair_of_byte_boundaries_decodes_identically()
    {
        foreach (GoldenFrame vector in GoldenVectors.Frames.Where(v => v.Encoded.Length < 64))
        {
            for (int a = 0; a <= vector.Encoded.Length; a++)
            {
                for (int b = a; b <= vector.Encoded.Length; b++)
                {
                    var harness = new DecoderHarness();
                    ReadOnlySequence<byte> input = SequenceBuilder.Split(vector.Encoded, a, b);
                    harness.Parse(ref input);
                    ParsedFrame frame = Assert.Single(harness.Frames);
                    Assert.Equal(vector.Payload, frame.Payload);
                    Assert.Equal(vector.PacketId, frame.PacketId);
                    Assert.True(input.IsEmpty);
                }
            }
        }
    }

    [Fact]
    public void Long_frame_split_at_every_byte_boundary_and_fed_in_two_reads_decodes()
    {
        byte[] encoded = GoldenVectors.Frame("long-block").Encoded;
        for (int cut = 0; cut <= encoded.Length; cut++)
        {
            var harness = new DecoderHarness();
            harness.Feed(encoded[..cut]);
            Assert.Equal(cut == encoded.Length ? 1 : 0, harness.Frames.Count);
            harness.Feed(encoded[cut..]);
            ParsedFrame frame = Assert.Single(harness.Frames);
            Assert.Equal(GoldenVectors.Frame("long-block").Payload, frame.Payload);
            Assert.Equal(0, harness.Buffered);
        }
    }

    [Fact]
    public void Byte_by_byte_arrival_decodes_every_frame()
    {
        var harness = new DecoderHarness();
        byte[] stream = [.. Sample, .. Sample, .. Sample];
        foreach (byte b in stream)
            harness.Feed([b]);
        Assert.Equal(3, harness.Frames.Count);
        Assert.Empty(harness.Drops);
    }

    [Fact]
    public void Random_garbage_between_frames_never_hides_a_frame_behind_a_delimiter()
    {
        var random = new Random(99);
        var stream = new List<byte>();
        var sent = new List<byte[]>();
        for (int i = 0; i < 200; i++)
        {
            byte[] garbage = new byte[random.Next(0, 40)];
            random.NextBytes(garbage);
            stream.AddRange(garbage);
            stream.Add(0x00); // a sender's resynchronisation delimiter before the frame (protocol.md 3.2)
            byte[] payload = TestFrames.Payload(random.Next(0, 300), i);
            sent.Add(payload);
            stream.AddRange(TestFrames.Encode(TestFrames.Header(packetId: (ushort)i), payload));
        }
        var harness = new DecoderHarness();
        byte[] all = [.. stream];
        // Deliver in random chunk sizes, as a serial port would.
        for (int offset = 0; offset < all.Length;)
        {
            int size = Math.Min(random.Next(1, 97), all.Length - offset);
            harness.Feed(all[offset..(offset + size)]);
            offset += size;
        }
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (ushort)i), harness.Frames.Select(f => f.PacketId));
        for (int i = 0; i < sent.Count; i++)
            Assert.Equal(sent[i], harness.Frames[i].Payload);
    }

    [Fact]
    public void Pure_random_noise_is_never_delivered()
    {
        var random = new Random(5);
        var harness = new DecoderHarness();
        for (int i = 0; i < 2000; i++)
        {
            byte[] noise = new byte[random.Next(1, 200)];
            random.NextBytes(noise);
            harness.Feed(noise);
        }
        Assert.Empty(harness.Frames);
        Assert.True(harness.Drops.Values.Sum() > 0);
    }

    [Fact]
    public void Every_single_bit_flip_of_an_encoded_frame_is_never_delivered_and_the_next_frame_still_is()
    {
        byte[] follower = TestFrames.Encode(TestFrames.Header(packetId: 0x7777), [1, 2, 3]);
        for (int bit = 0; bit < Sample.Length * 8; bit++)
        {
            byte[] corrupted = (byte[])Sample.Clone();
            corrupted[bit / 8] ^= (byte)(1 << (bit % 8));
            var harness = new DecoderHarness();
            harness.Feed(corrupted, [0x00], follower);
            Assert.DoesNotContain(harness.Frames, f => f.PacketId == 0x0A0B);
            Assert.Contains(harness.Frames, f => f.PacketId == 0x7777);
        }
    }

    [Fact]
    public void Every_single_and_double_bit_flip_of_a_short_golden_frame_is_never_delivered()
        => AssertNoBitFlipIsDelivered(GoldenVectors.Frame("rpc-first-fragment").Encoded);

    [Fact]
    [Trait("Category", "Exhaustive")]
    public void Every_single_and_double_bit_flip_of_the_long_golden_frame_is_never_delivered()
        => AssertNoBitFlipIsDelivered(GoldenVectors.Frame("long-block").Encoded);

    private static void AssertNoBitFlipIsDelivered(byte[] original)
    {
        int bits = original.Length * 8;
        var decoder = new FrameDecoder(1024);
        byte[] corrupted = new byte[original.Length];
        for (int first = 0; first < bits; first++)
        {
            for (int second = first; second < bits; second++)
            {
                original.CopyTo(corrupted, 0);
                corrupted[first / 8] ^= (byte)(1 << (first % 8));
                if (second != first)
                    corrupted[second / 8] ^= (byte)(1 << (second % 8));
                // The delimiter may have been flipped away: a fresh delimiter ends whatever is left.
                ReadOnlySequence<byte> input = SequenceBuilder.Create(corrupted, [0x00]);
                FrameParseStatus status;
                while ((status = decoder.TryParse(ref input, out _, out _)) != FrameParseStatus.NeedMoreData)
                    Assert.NotEqual(FrameParseStatus.Frame, status);
                Assert.True(input.IsEmpty);
                decoder.Reset();
            }
        }
    }

    [Fact]
    public void Truncated_frame_followed_by_a_good_one_drops_only_the_truncated_one()
    {
        for (int keep = 1; keep < Sample.Length - 1; keep++)
        {
            var harness = new DecoderHarness();
            harness.Feed(Sample[..keep], [0x00], Sample);
            ParsedFrame frame = Assert.Single(harness.Frames);
            Assert.Equal(0x0A0B, frame.PacketId);
            Assert.Equal(1, harness.Drops.Values.Sum());
        }
    }

    [Fact]
    public void Lost_delimiter_merges_two_frames_into_one_rejected_run_and_the_third_frame_survives()
    {
        var harness = new DecoderHarness();
        harness.Feed(Sample[..^1], Sample, Sample);
        Assert.Single(harness.Frames);
        Assert.Equal(1, harness.Drops.Values.Sum());
    }

    [Fact]
    public void Crc_error_is_counted_as_such()
    {
        byte[] decoded = new byte[64];
        Assert.Equal(CobsStatus.Done, Cobs.Decode(Sample.AsSpan(0, Sample.Length - 1), decoded, out int length));
        decoded[length - 1] ^= 0x40;
        byte[] reencoded = new byte[Cobs.MaxEncodedLength(length) + 1];
        int n = Cobs.Encode(decoded.AsSpan(0, length), reencoded);
        var harness = new DecoderHarness();
        harness.Feed(reencoded[..(n + 1)]);
        Assert.Empty(harness.Frames);
        Assert.Equal(1, harness.DropCount(FrameDropReason.CrcMismatch));
    }

    [Fact]
    public void Frame_larger_than_the_maximum_is_dropped_as_oversize_and_the_next_frame_decodes()
    {
        var harness = new DecoderHarness(maxFrameSize: 64);
        byte[] large = TestFrames.Encode(TestFrames.Header(packetId: 1), TestFrames.Payload(64 - 13 + 1, 3)); // one byte too many
        byte[] fits = TestFrames.Encode(TestFrames.Header(packetId: 2), TestFrames.Payload(64 - 13, 4));
        harness.Feed(large, fits);
        ParsedFrame frame = Assert.Single(harness.Frames);
        Assert.Equal(2, frame.PacketId);
        Assert.Equal(1, harness.DropCount(FrameDropReason.Oversize));
    }

    [Fact]
    public void Endless_input_without_delimiter_is_discarded_with_bounded_buffering()
    {
        var harness = new DecoderHarness(maxFrameSize: 64);
        var random = new Random(8);
        for (int i = 0; i < 10_000; i++)
        {
            byte[] chunk = new byte[37];
            random.NextBytes(chunk);
            for (int j = 0; j < chunk.Length; j++)
                chunk[j] |= 1; // never a delimiter
            harness.Feed(chunk);
            Assert.True(harness.Buffered <= harness.MaxEncodedLength, $"buffered {harness.Buffered} bytes");
        }
        Assert.True(harness.IsDiscarding);
        Assert.Equal(1, harness.DropCount(FrameDropReason.Oversize));

        // The overlong run ends at the next delimiter; what follows decodes normally.
        harness.Feed([0x00], Sample);
        Assert.False(harness.IsDiscarding);
        Assert.Single(harness.Frames);
    }

    [Fact]
    public void Overlong_run_in_one_read_ending_in_a_delimiter_is_one_oversize_drop()
    {
        var harness = new DecoderHarness(maxFrameSize: 64);
        byte[] run = Enumerable.Repeat((byte)0x55, 500).ToArray();
        harness.Feed(run, [0x00], Sample);
        Assert.Equal(1, harness.DropCount(FrameDropReason.Oversize));
        Assert.Single(harness.Frames);
    }

    [Fact]
    public void Incomplete_frame_is_kept_until_its_delimiter_arrives()
    {
        var harness = new DecoderHarness();
        harness.Feed(Sample[..^1]);
        Assert.Empty(harness.Frames);
        Assert.Equal(Sample.Length - 1, harness.Buffered);
        harness.Feed([0x00]);
        Assert.Single(harness.Frames);
        Assert.Equal(0, harness.Buffered);
    }

    [Fact]
    public void Empty_runs_between_frames_are_ignored_silently()
    {
        var harness = new DecoderHarness();
        harness.Feed([0x00, 0x00, 0x00], Sample, [0x00, 0x00], Sample);
        Assert.Equal(2, harness.Frames.Count);
        Assert.Empty(harness.Drops);
    }

    [Fact]
    public void Broadcast_source_is_malformed()
    {
        var harness = new DecoderHarness();
        harness.Feed(TestFrames.Encode(TestFrames.Header(source: 0xFF), [1]));
        Assert.Empty(harness.Frames);
        Assert.Equal(1, harness.DropCount(FrameDropReason.Malformed));
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65536)]
    public void Decoder_rejects_impossible_maximum_frame_sizes(int size)
        => Assert.Throws<ArgumentOutOfRangeException>(() => new FrameDecoder(size));

    [Fact]
    public void Maximum_size_frame_round_trips_at_the_largest_frame_size()
    {
        var harness = new DecoderHarness(maxFrameSize: DataLinkProtocol.MaximumMaxFrameSize);
        byte[] payload = TestFrames.Payload(DataLinkProtocol.MaximumMaxFrameSize - DataLinkProtocol.FrameOverhead, 11);
        byte[] encoded = TestFrames.Encode(TestFrames.Header(), payload);
        Assert.True(encoded.Length <= FrameCodec.GetMaxEncodedSize(payload.Length));
        harness.Feed(encoded[..1000], encoded[1000..]);
        Assert.Equal(payload, Assert.Single(harness.Frames).Payload);
    }
}

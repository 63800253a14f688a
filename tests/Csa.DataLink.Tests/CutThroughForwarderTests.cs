using System.Buffers;
using Csa.DataLink.Internal;
using Csa.DataLink.Tests.Support;

namespace Csa.DataLink.Tests;

/// <summary>
/// The streaming forwarder of cut-through (protocol.md 6.3.1) on its own: what it writes is byte for byte what
/// store-and-forward sends, it writes it while the frame arrives (trailing by at most one COBS block and the CRC), and
/// a frame that turns out bad is ended so that the next node drops it.
/// </summary>
[Trait("Requirement", "REQ-TOPO")]
public class CutThroughForwarderTests
{
    /// <summary>Decoded bytes the output may trail the input by: one open COBS block (254) and the held-back CRC (4).</summary>
    private const int MaxLag = 254 + 1 + DataLinkProtocol.CrcSize + 1;

    public static TheoryData<int, int> Payloads()
    {
        var data = new TheoryData<int, int>();
        // Lengths around the block boundaries of COBS (254 non-zero bytes) and the header/CRC edges; seeds pick the
        // content, seed 0 being all non-zero bytes (full blocks), 1 zero-rich.
        foreach (int length in new[] { 0, 1, 3, 4, 5, 240, 241, 245, 246, 250, 254, 255, 500, 507, 508, 1011 })
        {
            foreach (int seed in new[] { 0, 1, 7 })
                data.Add(length, seed);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Forwarded_frame_is_byte_identical_to_store_and_forward_fed_in_any_pieces(int length, int seed)
    {
        byte[] payload = Content(length, seed);
        foreach (byte hop in new byte[] { 2, 3, 64, 255 })
        {
            FrameHeader header = TestFrames.Header(destination: 0x05, source: 0x00, packetId: (ushort)(0x0100 + seed), hopLimit: hop);
            byte[] wire = TestFrames.Encode(header, payload);
            byte[] expected = TestFrames.Encode(header with { HopLimit = (byte)(hop - 1) }, payload);
            foreach (int piece in new[] { 1, 2, 7, 64, wire.Length })
            {
                (byte[] output, CutThroughOutcome outcome, long written) = Forward(wire, piece);
                Assert.Equal(CutThroughOutcome.Forwarded, outcome);
                Assert.Equal(expected, output);
                Assert.Equal(expected.Length, written);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void Output_trails_the_input_by_at_most_one_block_and_the_crc(int length, int seed)
    {
        byte[] payload = Content(length, seed);
        FrameHeader header = TestFrames.Header(hopLimit: 9);
        byte[] wire = TestFrames.Encode(header, payload);
        byte[] expected = TestFrames.Encode(header with { HopLimit = 8 }, payload);
        var forwarder = new CutThroughForwarder(1024);
        var output = new ArrayBufferWriter<byte>();
        bool accepted = false;
        for (int i = 0; i < wire.Length - 1; i++) // every byte but the delimiter
        {
            CutThroughStep step = forwarder.Feed(wire.AsSpan(i, 1), accepted ? output : null, out int consumed);
            Assert.Equal(1, consumed);
            if (step == CutThroughStep.HeaderReady)
            {
                forwarder.Accept(output);
                accepted = true;
            }
            // What has gone out is the start of the forwarded frame, and no further behind than the look-ahead COBS needs.
            Assert.True(expected.AsSpan().StartsWith(output.WrittenSpan));
            if (accepted)
                Assert.True(output.WrittenCount >= i + 1 - MaxLag, $"after {i + 1} bytes in only {output.WrittenCount} out");
        }
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed(wire.AsSpan(wire.Length - 1), output, out _));
        Assert.Equal(expected, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Golden_frames_are_forwarded_as_their_re_encoding()
    {
        int checkedFrames = 0;
        foreach (GoldenFrame vector in GoldenVectors.Frames.Where(v => v.HopLimit > 1))
        {
            (byte[] output, CutThroughOutcome outcome, _) = Forward(vector.Encoded.SkipWhile(b => b == 0).ToArray(), 3);
            Assert.Equal(CutThroughOutcome.Forwarded, outcome);
            Assert.Equal(TestFrames.Encode(vector.Header with { HopLimit = (byte)(vector.HopLimit - 1) }, vector.Payload), output);
            checkedFrames++;
        }
        Assert.True(checkedFrames > 3);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(300)]
    public void A_frame_corrupted_upstream_is_sent_on_with_an_inverted_crc_that_the_next_node_drops(int length)
    {
        byte[] payload = Content(length, 7);
        byte[] wire = TestFrames.Encode(TestFrames.Header(hopLimit: 10), payload);
        // A bit error in the payload (the byte stays non-zero, so the framing is intact and only the CRC tells).
        int at = Array.FindIndex(wire, 12, b => b is not 0 and not 1 and < 0xFE);
        wire[at] ^= 0x01;

        (byte[] output, CutThroughOutcome outcome, _) = Forward(wire, 5);

        Assert.Equal(CutThroughOutcome.Poisoned, outcome);
        var next = new DecoderHarness();
        next.Feed(output);
        Assert.Empty(next.Frames);
        Assert.Equal(1, next.DropCount(FrameDropReason.CrcMismatch));
    }

    [Fact]
    public void A_frame_whose_last_block_is_cut_short_is_aborted_and_dropped_as_malformed()
    {
        byte[] wire = TestFrames.Encode(TestFrames.Header(hopLimit: 10), Content(100, 0));
        byte[] cut = [.. wire[..^3], 0x00]; // two bytes of the last block lost, then the delimiter

        (byte[] output, CutThroughOutcome outcome, _) = Forward(cut, 4);

        Assert.Equal(CutThroughOutcome.Aborted, outcome);
        var next = new DecoderHarness();
        next.Feed(output);
        Assert.Empty(next.Frames);
        Assert.Equal(1, next.DropCount(FrameDropReason.Malformed));
    }

    [Fact]
    public void A_frame_longer_than_the_node_accepts_is_aborted_as_soon_as_it_is_too_long()
    {
        byte[] wire = TestFrames.Encode(TestFrames.Header(hopLimit: 10), Content(200, 1));
        var forwarder = new CutThroughForwarder(DataLinkProtocol.MinimumMaxFrameSize);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(wire, null, out int consumed));
        forwarder.Accept(output);
        // Everything up to (not including) the delimiter: the abort must not wait for the end of the run.
        Assert.Equal(CutThroughStep.NeedMoreData, forwarder.Feed(wire.AsSpan(consumed, wire.Length - 1 - consumed), output, out _));
        Assert.False(forwarder.IsForwarding);
        Assert.Equal(CutThroughOutcome.Aborted, forwarder.Outcome);
        Assert.Equal(FrameDropReason.Oversize, forwarder.AbortReason);
        Assert.Equal(DataLinkProtocol.Delimiter, output.WrittenSpan[^1]);
        int abortedAt = output.WrittenCount;
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed(wire.AsSpan(wire.Length - 1), output, out _));
        Assert.Equal(abortedAt, output.WrittenCount); // the rest of the run went nowhere
        Assert.Equal(CutThroughOutcome.Aborted, forwarder.Outcome);

        var next = new DecoderHarness();
        next.Feed(output.WrittenSpan.ToArray());
        Assert.Empty(next.Frames);
        Assert.Equal(1, next.DropCount(FrameDropReason.Malformed));
    }

    [Fact]
    public void An_abort_mid_frame_ends_it_invalid_skips_the_rest_and_the_next_frame_goes_through_whole()
    {
        byte[] first = TestFrames.Encode(TestFrames.Header(packetId: 1, hopLimit: 10), Content(600, 1));
        byte[] second = TestFrames.Encode(TestFrames.Header(packetId: 2, hopLimit: 10), Content(40, 7));
        var forwarder = new CutThroughForwarder(1024);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(first, null, out int consumed));
        forwarder.Accept(output);
        Assert.Equal(CutThroughStep.NeedMoreData, forwarder.Feed(first.AsSpan(consumed, 400 - consumed), output, out _));
        Assert.True(output.WrittenCount > 0);

        forwarder.Abort(output, FrameDropReason.Truncated); // the upstream stalled
        Assert.Equal(CutThroughOutcome.Aborted, forwarder.Outcome);
        int aborted = output.WrittenCount;
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed(first.AsSpan(400), null, out _));
        Assert.Equal(CutThroughOutcome.Aborted, forwarder.Outcome);
        Assert.Equal(aborted, output.WrittenCount);

        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(second, null, out consumed));
        forwarder.Accept(output);
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed(second.AsSpan(consumed), output, out _));
        Assert.Equal(CutThroughOutcome.Forwarded, forwarder.Outcome);

        var next = new DecoderHarness();
        next.Feed(output.WrittenSpan.ToArray());
        Assert.Equal(1, next.DropCount(FrameDropReason.Malformed));
        ParsedFrame frame = Assert.Single(next.Frames);
        Assert.Equal(2, frame.PacketId);
        Assert.Equal(9, frame.HopLimit);
        Assert.Equal(Content(40, 7), frame.Payload);
    }

    [Fact]
    public void A_declined_frame_writes_nothing_and_runs_shorter_than_a_header_never_ask()
    {
        var forwarder = new CutThroughForwarder(1024);
        var output = new ArrayBufferWriter<byte>();
        byte[] wire = TestFrames.Encode(TestFrames.Header(), Content(30, 1));
        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(wire, null, out int consumed));
        forwarder.Decline();
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed(wire.AsSpan(consumed), null, out _));
        Assert.Equal(CutThroughOutcome.NotForwarded, forwarder.Outcome);

        // Noise: a few bytes, an empty run.
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed([0x03, 0x11, 0x22, 0x00], null, out consumed));
        Assert.Equal(4, consumed);
        Assert.Equal(CutThroughStep.FrameEnded, forwarder.Feed([0x00], null, out _));
        Assert.Equal(CutThroughOutcome.NotForwarded, forwarder.Outcome);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void A_header_of_another_version_or_with_reserved_bits_is_not_worth_forwarding()
    {
        var forwarder = new CutThroughForwarder(1024);
        byte[] wire = TestFrames.Encode(TestFrames.Header(destination: 0x07, hopLimit: 33), Content(20, 1));
        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(wire, null, out _));
        Assert.True(forwarder.TryGetHeader(out FrameHeader header));
        Assert.Equal(new NodeAddress(0x07), header.Destination.Node);
        Assert.Equal(33, header.HopLimit);

        byte[] decoded = [0x21, 0x05, 0x07, 0x10, 0x00, 0x10, 0x01, 0x00, 0x00]; // version 2
        byte[] encoded = new byte[Cobs.MaxEncodedLength(decoded.Length)];
        int length = Cobs.Encode(decoded, encoded);
        forwarder = new CutThroughForwarder(1024);
        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(encoded.AsSpan(0, length), null, out _));
        Assert.False(forwarder.TryGetHeader(out _));
    }

    [Fact]
    public void Feeding_past_a_ready_header_without_a_decision_is_a_programming_error()
    {
        var forwarder = new CutThroughForwarder(1024);
        byte[] wire = TestFrames.Encode(TestFrames.Header(), Content(30, 1));
        Assert.Equal(CutThroughStep.HeaderReady, forwarder.Feed(wire, null, out int consumed));
        Assert.Throws<InvalidOperationException>(() => forwarder.Feed(wire.AsSpan(consumed), null, out _));
    }

    /// <summary>Feeds <paramref name="wire"/> (one run and its delimiter) in pieces, accepting the frame at its header.</summary>
    private static (byte[] Output, CutThroughOutcome Outcome, long Written) Forward(byte[] wire, int piece)
    {
        var forwarder = new CutThroughForwarder(1024);
        var output = new ArrayBufferWriter<byte>();
        bool accepted = false;
        int at = 0;
        while (at < wire.Length)
        {
            int take = Math.Min(piece, wire.Length - at);
            int offset = 0;
            while (offset < take)
            {
                CutThroughStep step = forwarder.Feed(wire.AsSpan(at + offset, take - offset), accepted ? output : null, out int consumed);
                offset += consumed;
                if (step == CutThroughStep.HeaderReady)
                {
                    forwarder.Accept(output);
                    accepted = true;
                }
                else if (step == CutThroughStep.FrameEnded)
                {
                    Assert.Equal(wire.Length, at + offset);
                    return (output.WrittenSpan.ToArray(), forwarder.Outcome, forwarder.BytesWritten);
                }
            }
            at += take;
        }
        throw new InvalidOperationException("The run had no delimiter.");
    }

    /// <summary>Seed 0: no zero byte at all (full COBS blocks); 1: every third byte zero; else random.</summary>
    private static byte[] Content(int length, int seed) => seed switch
    {
        0 => Enumerable.Range(0, length).Select(i => (byte)(i % 255 + 1)).ToArray(),
        1 => Enumerable.Range(0, length).Select(i => i % 3 == 0 ? (byte)0 : (byte)(i * 7 + 1)).ToArray(),
        _ => TestFrames.Payload(length, seed),
    };
}

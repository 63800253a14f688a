using System.Buffers;
using System.Buffers.Binary;
using Csa.DataLink.Internal;
using Csa.DataLink.Tests.Support;

namespace Csa.DataLink.Tests;

/// <summary>The vectors of docs/protocol.md section 9, read from the document itself.</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-RPC")]
public class GoldenVectorTests
{
    [Fact]
    public void Document_contains_frame_and_rejection_vectors()
    {
        Assert.True(GoldenVectors.Frames.Count >= 8);
        Assert.True(GoldenVectors.Rejected.Count >= 5);
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.FrameNames), MemberType = typeof(GoldenVectors))]
    public void Encoding_the_fields_gives_the_documented_bytes(string name)
    {
        GoldenFrame vector = GoldenVectors.Frame(name);
        Assert.Equal(Convert.ToHexString(vector.Encoded), Convert.ToHexString(TestFrames.Encode(vector.Header, vector.Payload)));
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.FrameNames), MemberType = typeof(GoldenVectors))]
    public void Decoding_the_documented_bytes_gives_the_fields_and_reencodes_byte_for_byte(string name)
    {
        GoldenFrame vector = GoldenVectors.Frame(name);
        var harness = new DecoderHarness();
        harness.Feed(vector.Encoded);

        ParsedFrame frame = Assert.Single(harness.Frames);
        Assert.Empty(harness.Drops);
        Assert.Equal(vector.Destination, frame.Destination);
        Assert.Equal(vector.Source, frame.Source);
        Assert.Equal(vector.PacketId, frame.PacketId);
        Assert.Equal(vector.Fragment, frame.Fragment);
        Assert.Equal(vector.Last, frame.Last);
        Assert.Equal(vector.HopLimit, frame.HopLimit);
        Assert.Equal(vector.Payload, frame.Payload);

        var header = new FrameHeader(frame.Destination, frame.Source, frame.PacketId, frame.Fragment, frame.Last, frame.HopLimit);
        Assert.Equal(vector.Encoded, TestFrames.Encode(header, frame.Payload));
    }

    [Theory]
    [MemberData(nameof(GoldenVectors.FrameNames), MemberType = typeof(GoldenVectors))]
    public void Decoded_form_is_header_payload_and_little_endian_crc(string name)
    {
        GoldenFrame vector = GoldenVectors.Frame(name);
        Span<byte> decoded = new byte[vector.Encoded.Length];
        Assert.Equal(CobsStatus.Done, Cobs.Decode(vector.Encoded.AsSpan(0, vector.Encoded.Length - 1), decoded, out int length));
        Assert.Equal(vector.Decoded, decoded[..length].ToArray());
        Assert.Equal(vector.Payload, vector.Decoded[DataLinkProtocol.HeaderSize..^DataLinkProtocol.CrcSize]);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(vector.Decoded.AsSpan(vector.Decoded.Length - 4));
        Assert.Equal(Crc32Mpeg2.Compute(vector.Decoded.AsSpan(0, vector.Decoded.Length - 4)), crc);
    }

    [Fact]
    public void Every_rejection_vector_is_dropped_for_the_documented_reason()
    {
        foreach (RejectedFrame vector in GoldenVectors.Rejected)
        {
            var harness = new DecoderHarness();
            harness.Feed(vector.Encoded);
            Assert.Empty(harness.Frames);
            Assert.Equal(1, harness.DropCount(vector.Reason));
            Assert.Equal(0, harness.Buffered);
        }
    }

    [Fact]
    public void All_vectors_back_to_back_in_one_stream_decode_in_order()
    {
        IReadOnlyList<GoldenFrame> vectors = GoldenVectors.Frames;
        byte[] stream = [.. vectors.SelectMany(v => v.Encoded)];
        var harness = new DecoderHarness();
        ReadOnlySequence<byte> input = new(stream);
        harness.Parse(ref input);
        Assert.Equal(vectors.Select(v => v.PacketId), harness.Frames.Select(f => f.PacketId));
        Assert.True(input.IsEmpty);
    }
}

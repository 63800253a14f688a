using System.Buffers;
using Csa.DataLink;
using Csa.DataLink.Internal;
using Csa.Fuzz.Engine;

namespace Csa.Fuzz.Targets;

/// <summary>
/// The frame decoder (docs/protocol.md 3-5) on a hostile byte stream, single- and multi-segment. Contract: never throws;
/// every call that reports a frame or a drop consumes input; it buffers at most one maximum encoded frame; a frame it
/// accepts re-encodes (FrameCodec) and decodes to the same header and payload.
/// </summary>
internal sealed class FrameTarget : FuzzTarget
{
    private const int MaxFrameSize = 256;
    private readonly FrameDecoder _decoder = new(MaxFrameSize);
    private readonly FrameDecoder _check = new(MaxFrameSize);
    private readonly byte[] _encoded = new byte[FrameCodec.GetMaxEncodedSize(MaxFrameSize)];

    public override string Name => "frame";

    public override string Description => "FrameDecoder.TryParse over a byte stream (COBS, CRC-32, header checks), first byte picks the segment size";

    public override IEnumerable<byte[]> Seeds()
    {
        var stream = new ArrayBufferWriter<byte>();
        foreach ((FrameHeader header, byte[] payload) in SampleFrames())
            FrameCodec.Write(stream, header, payload);
        byte[] all = stream.WrittenSpan.ToArray();
        yield return [0x00, .. all];
        yield return [0x83, .. all];
        foreach ((FrameHeader header, byte[] payload) in SampleFrames())
        {
            var one = new ArrayBufferWriter<byte>();
            FrameCodec.Write(one, header, payload);
            yield return [0x00, .. one.WrittenSpan];
        }
    }

    internal static IEnumerable<(FrameHeader, byte[])> SampleFrames()
    {
        yield return (new FrameHeader(new Endpoint(new NodeAddress(1), 1), new Endpoint(NodeAddress.Host, 1), 7, 0, true, 64), [1, 2, 3, 0, 5]);
        yield return (new FrameHeader(new Endpoint(new NodeAddress(2), 0), new Endpoint(NodeAddress.Host, 0), 1, 0, true, 64), [0x01, 0x05, 0x00, 0x04]);
        yield return (new FrameHeader(new Endpoint(new NodeAddress(3), 1), new Endpoint(new NodeAddress(1), 1), 0x1234, 0, false, 3), new byte[200]);
        yield return (new FrameHeader(new Endpoint(new NodeAddress(3), 1), new Endpoint(new NodeAddress(1), 1), 0x1234, 1, true, 3), [9, 9]);
        yield return (new FrameHeader(new Endpoint(NodeAddress.Broadcast, 0), new Endpoint(NodeAddress.Host, 0), 0, 0, true, 1), []);
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
            return 0;
        int chunk = (input[0] & 0x80) != 0 ? 1 + (input[0] & 0x3F) : 0;
        byte[] data = input[1..].ToArray();
        ReadOnlySequence<byte> sequence = Segments.Split(data, chunk);
        _decoder.Reset();
        int outcome = 0;
        while (true)
        {
            long before = sequence.Length;
            FrameParseStatus status = _decoder.TryParse(ref sequence, out DecodedFrame frame, out FrameDropReason reason);
            if (status == FrameParseStatus.NeedMoreData)
            {
                if (sequence.Length > _decoder.MaxEncodedLength)
                    throw new ContractViolation($"the decoder keeps {sequence.Length} bytes buffered; at most {_decoder.MaxEncodedLength}");
                return outcome;
            }
            if (sequence.Length >= before)
                throw new ContractViolation($"TryParse returned {status} without consuming input");
            if (status == FrameParseStatus.Dropped)
            {
                outcome |= 1 << Math.Min((int)reason, 30);
                continue;
            }
            if (frame.Payload.Length > MaxFrameSize - DataLinkProtocol.FrameOverhead)
                throw new ContractViolation($"a {frame.Payload.Length}-byte payload from a decoder limited to {MaxFrameSize}-byte frames");
            RoundTrip(frame);
            outcome |= 1 << 31;
        }
    }

    private void RoundTrip(DecodedFrame frame)
    {
        int length = FrameCodec.Encode(frame.Header, frame.Payload.Span, _encoded);
        _check.Reset();
        var sequence = new ReadOnlySequence<byte>(_encoded, 0, length);
        if (_check.TryParse(ref sequence, out DecodedFrame copy, out FrameDropReason reason) != FrameParseStatus.Frame)
            throw new ContractViolation($"an accepted frame, re-encoded, is dropped ({reason})");
        if (copy.Header != frame.Header || !copy.Payload.Span.SequenceEqual(frame.Payload.Span))
            throw new ContractViolation("an accepted frame, re-encoded, decodes differently");
    }

    // The decoder allocates nothing per input; the harness does (one sequence segment per input byte at most).
    public override long AllocationBudget(int length) => 16 * 1024 + 96L * length;
}

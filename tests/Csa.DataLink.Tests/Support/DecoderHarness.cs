using System.Buffers;
using Csa.DataLink.Internal;

namespace Csa.DataLink.Tests.Support;

/// <summary>What a decoder produced from some input, with the payload copied out.</summary>
public sealed record ParsedFrame(Endpoint Destination, Endpoint Source, ushort PacketId, byte Fragment, bool Last, byte HopLimit, byte[] Payload);

/// <summary>Feeds a <see cref="FrameDecoder"/> the way the link read loop does, chunk by chunk, keeping unconsumed bytes.</summary>
public sealed class DecoderHarness
{
    private readonly FrameDecoder _decoder;
    private byte[] _pending = [];

    public DecoderHarness(int maxFrameSize = 1024) => _decoder = new FrameDecoder(maxFrameSize);

    public List<ParsedFrame> Frames { get; } = [];

    public Dictionary<FrameDropReason, int> Drops { get; } = [];

    public int Buffered => _pending.Length;

    public bool IsDiscarding => _decoder.IsDiscarding;

    public int MaxEncodedLength => _decoder.MaxEncodedLength;

    public int DropCount(FrameDropReason reason) => Drops.GetValueOrDefault(reason);

    /// <summary>Parses pending bytes plus <paramref name="chunks"/> as one multi-segment sequence.</summary>
    public void Feed(params byte[][] chunks)
    {
        var segments = new List<byte[]> { _pending };
        segments.AddRange(chunks);
        ReadOnlySequence<byte> input = SequenceBuilder.Create([.. segments]);
        Parse(ref input);
        _pending = input.ToArray();
    }

    public void Parse(ref ReadOnlySequence<byte> input)
    {
        while (true)
        {
            FrameParseStatus status = _decoder.TryParse(ref input, out DecodedFrame frame, out FrameDropReason reason);
            if (status == FrameParseStatus.NeedMoreData)
                return;
            if (status == FrameParseStatus.Dropped)
            {
                Drops[reason] = DropCount(reason) + 1;
                continue;
            }
            FrameHeader h = frame.Header;
            Frames.Add(new ParsedFrame(h.Destination, h.Source, h.PacketId, h.FragmentIndex, h.IsLastFragment, h.HopLimit, frame.Payload.ToArray()));
        }
    }
}

using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink.Internal;

namespace Csa.DataLink.Tests.Support;

/// <summary>Drives the far end of a link by hand: raw bytes out, decoded frames in.</summary>
public static class RawLink
{
    public static async Task WriteAsync(ILinkTransport transport, byte[] bytes)
    {
        await transport.Output.WriteAsync(bytes, TestNetwork.Guard());
    }

    public static async Task<ParsedFrame> ReadFrameAsync(ILinkTransport transport)
    {
        var decoder = new FrameDecoder(DataLinkProtocol.MaximumMaxFrameSize);
        PipeReader input = transport.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(TestNetwork.Guard());
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (true)
            {
                FrameParseStatus status = decoder.TryParse(ref buffer, out DecodedFrame frame, out _);
                if (status == FrameParseStatus.NeedMoreData)
                    break;
                if (status == FrameParseStatus.Frame)
                {
                    FrameHeader h = frame.Header;
                    var parsed = new ParsedFrame(h.Destination, h.Source, h.PacketId, h.FragmentIndex, h.IsLastFragment, h.HopLimit, frame.Payload.ToArray());
                    input.AdvanceTo(buffer.Start);
                    return parsed;
                }
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                throw new InvalidOperationException("The link ended before a frame arrived.");
        }
    }
}

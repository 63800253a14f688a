using System.Buffers;
using Csa.DataLink.Internal;

namespace Csa.DataLink.Tests.Support;

internal static class TestFrames
{
    public static byte[] Encode(FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameCodec.Write(writer, header, payload);
        return writer.WrittenSpan.ToArray();
    }

    public static FrameHeader Header(byte destination = 0x01, byte destinationPort = 0x10, byte source = 0x00, byte sourcePort = 0x10,
        ushort packetId = 1, byte fragment = 0, bool last = true, byte hopLimit = 64)
        => new(new Endpoint(new NodeAddress(destination), destinationPort), new Endpoint(new NodeAddress(source), sourcePort), packetId, fragment, last, hopLimit);

    public static byte[] Payload(int length, int seed)
    {
        var payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}

using System.Buffers;
using BenchmarkDotNet.Attributes;
using Csa.DataLink;
using Csa.DataLink.Internal;

namespace Csa.Benchmarks;

/// <summary>
/// Frame codec throughput: encode (header + CRC-32 + COBS into an <see cref="IBufferWriter{T}"/>) and decode (split at
/// delimiters, un-stuff, check CRC) of a stream of frames, per frame. MB/s = payload bytes / mean time per frame.
/// Decode runs over a single-segment buffer and over the same bytes cut into 4 KiB segments, as a pipe delivers them.
/// </summary>
[MemoryDiagnoser]
public class DataLinkFrameCodecBenchmarks
{
    private const int FramesPerOperation = 100;

    private readonly ArrayBufferWriter<byte> _writer = new(1 << 20);
    private byte[] _payload = [];
    private FrameDecoder _decoder = null!;
    private ReadOnlySequence<byte> _singleSegment;
    private ReadOnlySequence<byte> _multiSegment;
    private FrameHeader _header;

    [Params(64, 256, 1024)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadSize];
        new Random(PayloadSize).NextBytes(_payload);
        _header = new FrameHeader(new Endpoint(new NodeAddress(0x01), WellKnownPorts.Rpc), new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc), 0x1234, 0, true, 64);
        _decoder = new FrameDecoder(2048);

        var stream = new ArrayBufferWriter<byte>();
        for (int i = 0; i < FramesPerOperation; i++)
            FrameCodec.Write(stream, _header with { PacketId = (ushort)i }, _payload);
        byte[] bytes = stream.WrittenSpan.ToArray();
        _singleSegment = new ReadOnlySequence<byte>(bytes);
        _multiSegment = Segments.Split(bytes, 4096);
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation)]
    public int Encode()
    {
        _writer.ResetWrittenCount();
        for (int i = 0; i < FramesPerOperation; i++)
            FrameCodec.Write(_writer, _header, _payload);
        return _writer.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOperation)]
    public int DecodeSingleSegment() => DecodeAll(_singleSegment);

    [Benchmark(OperationsPerInvoke = FramesPerOperation)]
    public int DecodeMultiSegment() => DecodeAll(_multiSegment);

    private int DecodeAll(ReadOnlySequence<byte> input)
    {
        int payloadBytes = 0;
        while (_decoder.TryParse(ref input, out DecodedFrame frame, out _) == FrameParseStatus.Frame)
            payloadBytes += frame.Payload.Length;
        if (payloadBytes != PayloadSize * FramesPerOperation)
            throw new InvalidOperationException($"decoded {payloadBytes} payload bytes");
        return payloadBytes;
    }

    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Split(byte[] bytes, int size)
        {
            var first = new Segments(bytes.AsMemory(0, Math.Min(size, bytes.Length)), 0);
            Segments last = first;
            for (int offset = size; offset < bytes.Length; offset += size)
            {
                var next = new Segments(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
                last.Next = next;
                last = next;
            }
            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}

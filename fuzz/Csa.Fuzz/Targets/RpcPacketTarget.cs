using System.Buffers;
using Csa.Fuzz.Engine;
using Csa.Rpc;

namespace Csa.Fuzz.Targets;

/// <summary>
/// RPC packets (docs/rpc-packets.md 2-5, 10): the header and kind layout, over one buffer and over a multi-segment
/// sequence, and an error packet's payload. Contract: TryParse never throws and both forms agree; Parse throws
/// RpcPacketException only; an error payload never throws.
/// </summary>
internal sealed class RpcPacketTarget : FuzzTarget
{
    public override string Name => "rpc-packet";

    public override string Description => "RpcPacket.TryParse (memory and 3-byte segments), Parse, TryReadError";

    public override IEnumerable<byte[]> Seeds()
    {
        var command = new RpcPacketHeader(RpcPacketKind.Command, RpcPacketFlags.None, 0x0002, 0x0003, 0x1234);
        yield return Packet(command, [1, 2, 3, 4]);
        yield return Packet(command with { Flags = RpcPacketFlags.Resend }, []);
        yield return Packet(command.AnswerWith(RpcPacketKind.Response), [0, 0, 0, 1]);
        yield return Packet(new RpcPacketHeader(RpcPacketKind.Event, RpcPacketFlags.FirstEvent, 0x0001, 0x8001, 7), [1, 0, 0, 0, 5]);
        var error = new ArrayBufferWriter<byte>();
        RpcPacket.WriteError(error, command.AnswerWith(RpcPacketKind.Error), 0x0105, "the image is for another device");
        yield return error.WrittenSpan.ToArray();
    }

    private static byte[] Packet(RpcPacketHeader header, byte[] payload)
    {
        var output = new ArrayBufferWriter<byte>();
        RpcPacket.Write(output, header, payload);
        return output.WrittenSpan.ToArray();
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        byte[] data = input.ToArray();
        bool one = RpcPacket.TryParse(data, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out RpcPacketError error);
        bool two = RpcPacket.TryParse(Segments.Split(data, 3), out RpcPacketHeader header2, out ReadOnlySequence<byte> payload2, out RpcPacketError error2);
        if (one != two || error != error2 || (one && (header != header2 || !payload.Span.SequenceEqual(payload2.ToArray()))))
            throw new ContractViolation($"one buffer and three-byte segments disagree: {one}/{error} vs {two}/{error2}");
        try
        {
            RpcPacket.Parse(new ReadOnlySequence<byte>(data), out _);
            if (!one)
                throw new ContractViolation($"Parse accepted what TryParse refused ({error})");
        }
        catch (RpcPacketException e)
        {
            if (one || e.Error != error)
                throw new ContractViolation($"Parse refused with {e.Error}, TryParse said {(one ? "valid" : error.ToString())}");
        }
        if (one && header.Kind == RpcPacketKind.Error)
            return RpcPacket.TryReadError(payload.Span, out ushort code, out _) ? 1000 + (code & 0xFF) : 999;
        return one ? (int)header.Kind : -(int)error;
    }
}

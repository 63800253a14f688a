using System.Buffers;

namespace Csa.Rpc.Internal;

/// <summary>
/// A packet encoded once, before its request id or event sequence number is known (id 0, no flags). Each send takes a
/// copy with its own header stamped in through <see cref="RpcPacketHeader"/>, the one place that knows where the
/// header's fields are.
/// </summary>
internal sealed class PreparedPacket
{
    private readonly byte[] _bytes;

    private PreparedPacket(RpcPacketHeader header, byte[] bytes)
    {
        Header = header;
        _bytes = bytes;
    }

    /// <summary>The header it was encoded with: the kind, the interface and the command or event id.</summary>
    public RpcPacketHeader Header { get; }

    /// <summary>Encodes <paramref name="message"/> behind a header of <paramref name="kind"/>.</summary>
    /// <exception cref="RpcEncodeException">The message violates a declared field size.</exception>
    public static PreparedPacket Encode<T>(RpcPacketKind kind, ushort interfaceId, ushort messageId, T message)
        where T : IRpcMessage<T>
    {
        var header = new RpcPacketHeader(kind, RpcPacketFlags.None, interfaceId, messageId, 0);
        var buffer = new ArrayBufferWriter<byte>(64);
        RpcPacket.WriteHeader(buffer, header);
        var writer = new RpcWriter(buffer);
        message.Write(ref writer);
        return new PreparedPacket(header, buffer.WrittenSpan.ToArray());
    }

    /// <summary>Puts an already encoded <paramref name="payload"/> behind a header of <paramref name="kind"/>.</summary>
    public static PreparedPacket FromPayload(RpcPacketKind kind, ushort interfaceId, ushort messageId, ReadOnlySpan<byte> payload)
    {
        var header = new RpcPacketHeader(kind, RpcPacketFlags.None, interfaceId, messageId, 0);
        var buffer = new ArrayBufferWriter<byte>(RpcPacketHeader.Size + payload.Length);
        RpcPacket.Write(buffer, header, payload);
        return new PreparedPacket(header, buffer.WrittenSpan.ToArray());
    }

    /// <summary>
    /// A fresh copy with <paramref name="id"/> (request id, or event sequence number) and <paramref name="flags"/>: a
    /// socket may hold on to the bytes it was handed until they are on the wire, so no two sends share an array.
    /// </summary>
    public byte[] Stamp(ushort id, RpcPacketFlags flags)
    {
        byte[] packet = (byte[])_bytes.Clone();
        (Header with { RequestId = id, Flags = flags }).WriteTo(packet);
        return packet;
    }
}

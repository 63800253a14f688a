using System.Buffers;

namespace Csa.Rpc.Internal;

/// <summary>Encodes and decodes whole <see cref="IRpcMessage{TSelf}"/> payloads.</summary>
internal static class RpcMessages
{
    /// <summary>Decodes one whole payload; trailing bytes are an error even if the message type forgot to check.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> payload)
        where T : IRpcMessage<T>
    {
        var reader = new RpcReader(payload);
        T message = T.Read(ref reader);
        reader.EnsureConsumed(typeof(T).Name);
        return message;
    }

    /// <summary>Writes <paramref name="header"/> and then <paramref name="message"/> as one packet.</summary>
    public static byte[] EncodePacket<T>(in RpcPacketHeader header, T message)
        where T : IRpcMessage<T>
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        RpcPacket.WriteHeader(buffer, header);
        var writer = new RpcWriter(buffer);
        message.Write(ref writer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <paramref name="header"/> over the first 8 bytes of an encoded <paramref name="packet"/>; returns the packet.</summary>
    public static byte[] Restamp(byte[] packet, in RpcPacketHeader header)
    {
        var buffer = new ArrayBufferWriter<byte>(RpcPacketHeader.Size);
        RpcPacket.WriteHeader(buffer, header);
        buffer.WrittenSpan.CopyTo(packet);
        return packet;
    }
}

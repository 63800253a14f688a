namespace Csa.Rpc.Internal;

/// <summary>Decodes whole <see cref="IRpcMessage{TSelf}"/> payloads (encoding: <see cref="PreparedPacket"/>).</summary>
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
}

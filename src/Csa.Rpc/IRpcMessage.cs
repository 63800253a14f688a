namespace Csa.Rpc;

/// <summary>
/// A request, response or event payload with a fixed little-endian layout. Generated from *.rpc.json;
/// <see cref="Read"/> must consume the whole payload (call <see cref="RpcReader.EnsureConsumed"/>).
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface IRpcMessage<TSelf> where TSelf : IRpcMessage<TSelf>
{
    /// <summary>Writes the fields in declaration order.</summary>
    void Write(ref RpcWriter writer);

    /// <summary>Reads one whole payload; throws <see cref="RpcDecodeException"/> if it is short, long or malformed.</summary>
    static abstract TSelf Read(ref RpcReader reader);
}

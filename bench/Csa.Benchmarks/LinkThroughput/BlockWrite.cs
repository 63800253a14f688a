using Csa.Rpc;

namespace Csa.Benchmarks.LinkThroughput;

/// <summary>A firmware-block write as generated code would encode it: offset, then u16-prefixed data.</summary>
internal sealed record BlockWrite(uint Offset, byte[] Data) : IRpcMessage<BlockWrite>
{
    public const int MaxData = 4096;

    public void Write(ref RpcWriter writer)
    {
        writer.WriteU32(Offset);
        writer.WriteBytes(Data, MaxData, "data");
    }

    public static BlockWrite Read(ref RpcReader reader)
    {
        var message = new BlockWrite(reader.ReadU32("offset"), reader.ReadBytes(MaxData, "data"));
        reader.EnsureConsumed(nameof(BlockWrite));
        return message;
    }
}

/// <summary>The acknowledgement: the offset written.</summary>
internal sealed record BlockWritten(uint Offset) : IRpcMessage<BlockWritten>
{
    public void Write(ref RpcWriter writer) => writer.WriteU32(Offset);

    public static BlockWritten Read(ref RpcReader reader)
    {
        var message = new BlockWritten(reader.ReadU32("offset"));
        reader.EnsureConsumed(nameof(BlockWritten));
        return message;
    }
}

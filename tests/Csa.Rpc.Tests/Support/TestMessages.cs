namespace Csa.Rpc.Tests.Support;

// Hand-written the way the generator writes messages: fields in declaration order, Read checks every length.

/// <summary>A message with no fields.</summary>
public sealed record EmptyMessage : IRpcMessage<EmptyMessage>
{
    public static EmptyMessage Instance { get; } = new();

    public void Write(ref RpcWriter writer)
    {
    }

    public static EmptyMessage Read(ref RpcReader reader)
    {
        reader.EnsureConsumed(nameof(EmptyMessage));
        return Instance;
    }
}

/// <summary>One u32 field.</summary>
public sealed record U32Message(uint Value) : IRpcMessage<U32Message>
{
    public void Write(ref RpcWriter writer) => writer.WriteU32(Value);

    public static U32Message Read(ref RpcReader reader)
    {
        var message = new U32Message(reader.ReadU32("value"));
        reader.EnsureConsumed(nameof(U32Message));
        return message;
    }
}

/// <summary>Adds to the device's counter (not idempotent).</summary>
public sealed record IncrementRequest(uint By, uint CallTag) : IRpcMessage<IncrementRequest>
{
    public void Write(ref RpcWriter writer)
    {
        writer.WriteU32(By);
        writer.WriteU32(CallTag);
    }

    public static IncrementRequest Read(ref RpcReader reader)
    {
        var message = new IncrementRequest(reader.ReadU32("by"), reader.ReadU32("callTag"));
        reader.EnsureConsumed(nameof(IncrementRequest));
        return message;
    }
}

/// <summary>The counter after the increment, and the tag of the call that did it.</summary>
public sealed record IncrementResponse(ulong Total, uint CallTag) : IRpcMessage<IncrementResponse>
{
    public void Write(ref RpcWriter writer)
    {
        writer.WriteU64(Total);
        writer.WriteU32(CallTag);
    }

    public static IncrementResponse Read(ref RpcReader reader)
    {
        var message = new IncrementResponse(reader.ReadU64("total"), reader.ReadU32("callTag"));
        reader.EnsureConsumed(nameof(IncrementResponse));
        return message;
    }
}

/// <summary>Writes data at an offset (idempotent, like a firmware block write).</summary>
public sealed record WriteAtRequest(uint Offset, byte[] Data) : IRpcMessage<WriteAtRequest>
{
    public const int MaxData = 256;

    public void Write(ref RpcWriter writer)
    {
        writer.WriteU32(Offset);
        writer.WriteBytes(Data, MaxData, "data");
    }

    public static WriteAtRequest Read(ref RpcReader reader)
    {
        var message = new WriteAtRequest(reader.ReadU32("offset"), reader.ReadBytes(MaxData, "data"));
        reader.EnsureConsumed(nameof(WriteAtRequest));
        return message;
    }
}

/// <summary>A text field, at most 32 bytes.</summary>
public sealed record TextMessage(string Text) : IRpcMessage<TextMessage>
{
    public void Write(ref RpcWriter writer) => writer.WriteString(Text, 32, "text");

    public static TextMessage Read(ref RpcReader reader)
    {
        var message = new TextMessage(reader.ReadString(32, "text"));
        reader.EnsureConsumed(nameof(TextMessage));
        return message;
    }
}

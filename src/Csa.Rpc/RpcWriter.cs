using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Csa.Rpc;

/// <summary>
/// Writes RPC payload fields little-endian in fixed layout (docs/protocol.md, "Payload encoding").
/// Generated message types call it; it is public so hand-written messages can too.
/// </summary>
public ref struct RpcWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    public RpcWriter(IBufferWriter<byte> output) => _output = output;

    /// <summary>Bytes written so far.</summary>
    public int Written { get; private set; }

    /// <summary>Writes an unsigned 8-bit field.</summary>
    public void WriteU8(byte value) => Take(1)[0] = value;

    /// <summary>Writes a signed 8-bit field.</summary>
    public void WriteI8(sbyte value) => Take(1)[0] = unchecked((byte)value);

    /// <summary>Writes a boolean as one byte, 0 or 1.</summary>
    public void WriteBool(bool value) => Take(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>Writes an unsigned 16-bit field.</summary>
    public void WriteU16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), value);

    /// <summary>Writes a signed 16-bit field.</summary>
    public void WriteI16(short value) => BinaryPrimitives.WriteInt16LittleEndian(Take(2), value);

    /// <summary>Writes an unsigned 32-bit field.</summary>
    public void WriteU32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), value);

    /// <summary>Writes a signed 32-bit field.</summary>
    public void WriteI32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), value);

    /// <summary>Writes an unsigned 64-bit field.</summary>
    public void WriteU64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Take(8), value);

    /// <summary>Writes a signed 64-bit field.</summary>
    public void WriteI64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Take(8), value);

    /// <summary>Writes a fixed-size byte array; <paramref name="value"/> must be exactly <paramref name="length"/> bytes.</summary>
    /// <exception cref="RpcEncodeException">The array has another length.</exception>
    public void WriteFixedBytes(ReadOnlySpan<byte> value, int length, string fieldName)
    {
        if (value.Length != length)
            throw new RpcEncodeException($"Field '{fieldName}' must be exactly {length} bytes, not {value.Length}.");
        value.CopyTo(Take(length));
    }

    /// <summary>Writes a byte array as a u16 length followed by the bytes.</summary>
    /// <exception cref="RpcEncodeException">The array is longer than <paramref name="maxLength"/>.</exception>
    public void WriteBytes(ReadOnlySpan<byte> value, int maxLength, string fieldName)
    {
        if (value.Length > maxLength)
            throw new RpcEncodeException($"Field '{fieldName}' holds {value.Length} bytes; at most {maxLength} are allowed.");
        WriteU16((ushort)value.Length);
        value.CopyTo(Take(value.Length));
    }

    /// <summary>Writes a string as a u16 byte count followed by its UTF-8 bytes (no terminator).</summary>
    /// <exception cref="RpcEncodeException">The UTF-8 form is longer than <paramref name="maxLength"/> bytes.</exception>
    public void WriteString(string value, int maxLength, string fieldName)
    {
        ArgumentNullException.ThrowIfNull(value);
        int count = Encoding.UTF8.GetByteCount(value);
        if (count > maxLength)
            throw new RpcEncodeException($"Field '{fieldName}' is {count} UTF-8 bytes; at most {maxLength} are allowed.");
        WriteU16((ushort)count);
        Encoding.UTF8.GetBytes(value, Take(count));
    }

    private Span<byte> Take(int count)
    {
        Span<byte> span = _output.GetSpan(count)[..count];
        _output.Advance(count);
        Written += count;
        return span;
    }
}

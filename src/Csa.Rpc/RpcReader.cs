using System.Buffers.Binary;
using System.Text;

namespace Csa.Rpc;

/// <summary>
/// Reads RPC payload fields written by <see cref="RpcWriter"/>. Every read checks the remaining length and
/// throws <see cref="RpcDecodeException"/> naming the field, so a short or malformed payload never yields
/// garbage values.
/// </summary>
public ref struct RpcReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    /// <summary>Creates a reader over one whole payload.</summary>
    public RpcReader(ReadOnlySpan<byte> payload)
    {
        _buffer = payload;
        _position = 0;
    }

    /// <summary>Bytes not read yet.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>Reads an unsigned 8-bit field.</summary>
    public byte ReadU8(string fieldName) => Take(1, fieldName)[0];

    /// <summary>Reads a signed 8-bit field.</summary>
    public sbyte ReadI8(string fieldName) => unchecked((sbyte)Take(1, fieldName)[0]);

    /// <summary>Reads a boolean; any byte other than 0 or 1 is an error.</summary>
    public bool ReadBool(string fieldName) => Take(1, fieldName)[0] switch
    {
        0 => false,
        1 => true,
        var other => throw new RpcDecodeException($"Field '{fieldName}' is a bool but holds 0x{other:X2}."),
    };

    /// <summary>Reads an unsigned 16-bit field.</summary>
    public ushort ReadU16(string fieldName) => BinaryPrimitives.ReadUInt16LittleEndian(Take(2, fieldName));

    /// <summary>Reads a signed 16-bit field.</summary>
    public short ReadI16(string fieldName) => BinaryPrimitives.ReadInt16LittleEndian(Take(2, fieldName));

    /// <summary>Reads an unsigned 32-bit field.</summary>
    public uint ReadU32(string fieldName) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, fieldName));

    /// <summary>Reads a signed 32-bit field.</summary>
    public int ReadI32(string fieldName) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, fieldName));

    /// <summary>Reads an unsigned 64-bit field.</summary>
    public ulong ReadU64(string fieldName) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, fieldName));

    /// <summary>Reads a signed 64-bit field.</summary>
    public long ReadI64(string fieldName) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, fieldName));

    /// <summary>Reads a fixed-size byte array.</summary>
    public byte[] ReadFixedBytes(int length, string fieldName) => Take(length, fieldName).ToArray();

    /// <summary>Reads a u16-length-prefixed byte array of at most <paramref name="maxLength"/> bytes.</summary>
    public byte[] ReadBytes(int maxLength, string fieldName)
    {
        int length = ReadU16(fieldName);
        if (length > maxLength)
            throw new RpcDecodeException($"Field '{fieldName}' claims {length} bytes; at most {maxLength} are allowed.");
        return Take(length, fieldName).ToArray();
    }

    /// <summary>Reads a u16-length-prefixed UTF-8 string of at most <paramref name="maxLength"/> bytes.</summary>
    public string ReadString(int maxLength, string fieldName)
    {
        int length = ReadU16(fieldName);
        if (length > maxLength)
            throw new RpcDecodeException($"Field '{fieldName}' claims {length} bytes; at most {maxLength} are allowed.");
        ReadOnlySpan<byte> bytes = Take(length, fieldName);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new RpcDecodeException($"Field '{fieldName}' is not valid UTF-8.", ex);
        }
    }

    /// <summary>Throws if bytes are left over: payloads are exact, never padded.</summary>
    public readonly void EnsureConsumed(string messageName)
    {
        if (Remaining != 0)
            throw new RpcDecodeException($"{messageName} has {Remaining} unexpected trailing byte(s).");
    }

    private ReadOnlySpan<byte> Take(int count, string fieldName)
    {
        if (count > Remaining)
            throw new RpcDecodeException($"Field '{fieldName}' needs {count} byte(s) but only {Remaining} remain.");
        ReadOnlySpan<byte> span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }
}

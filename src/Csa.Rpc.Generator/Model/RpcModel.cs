using System.Collections.Generic;
using Csa.Rpc.Model.Json;

namespace Csa.Rpc.Model;

/// <summary>One parsed and validated <c>*.rpc.json</c> interface. Shared by the C# generator and the C header generator.</summary>
internal sealed class RpcInterface
{
    public RpcInterface(string name, ushort id, ushort version, string? @namespace, string description)
    {
        Name = name;
        Id = id;
        Version = version;
        Namespace = @namespace;
        Description = description;
    }

    public string Name { get; }

    public ushort Id { get; }

    public ushort Version { get; }

    /// <summary>The namespace the file asks for, or null to take the project's root namespace.</summary>
    public string? Namespace { get; }

    public string Description { get; }

    public List<RpcEnum> Enums { get; } = new();

    /// <summary>Structs in dependency order: a struct comes after every struct it embeds.</summary>
    public List<RpcStruct> Structs { get; } = new();

    public List<RpcError> Errors { get; } = new();

    public List<RpcCommand> Commands { get; } = new();

    public List<RpcEvent> Events { get; } = new();
}

/// <summary>The wire type of a scalar field.</summary>
internal enum RpcPrimitive
{
    U8,
    U16,
    U32,
    U64,
    I8,
    I16,
    I32,
    I64,
    Bool,
}

/// <summary>What a field (or one element of a fixed-count array field) holds.</summary>
internal enum RpcTypeKind
{
    Primitive,
    Enum,
    Struct,

    /// <summary>Exactly <see cref="RpcType.Length"/> bytes, no prefix.</summary>
    FixedBytes,

    /// <summary>A u16 length, then at most <see cref="RpcType.Length"/> bytes.</summary>
    Bytes,

    /// <summary>A u16 byte count, then at most <see cref="RpcType.Length"/> bytes of UTF-8.</summary>
    String,
}

/// <summary>The type of one field.</summary>
internal sealed class RpcType
{
    private RpcType(RpcTypeKind kind, RpcPrimitive primitive, RpcEnum? @enum, RpcStruct? @struct, int length)
    {
        Kind = kind;
        Primitive = primitive;
        Enum = @enum;
        Struct = @struct;
        Length = length;
    }

    public RpcTypeKind Kind { get; }

    /// <summary>The scalar type; for an enum its underlying type.</summary>
    public RpcPrimitive Primitive { get; }

    public RpcEnum? Enum { get; }

    public RpcStruct? Struct { get; }

    /// <summary>The exact length of fixed bytes, the maximum length of bytes and strings; 0 otherwise.</summary>
    public int Length { get; }

    public static RpcType Of(RpcPrimitive primitive) => new(RpcTypeKind.Primitive, primitive, null, null, 0);

    public static RpcType Of(RpcEnum @enum) => new(RpcTypeKind.Enum, @enum.Underlying, @enum, null, 0);

    public static RpcType Of(RpcStruct @struct) => new(RpcTypeKind.Struct, RpcPrimitive.U8, null, @struct, 0);

    public static RpcType FixedBytes(int length) => new(RpcTypeKind.FixedBytes, RpcPrimitive.U8, null, null, length);

    public static RpcType Bytes(int maxLength) => new(RpcTypeKind.Bytes, RpcPrimitive.U8, null, null, maxLength);

    public static RpcType String(int maxLength) => new(RpcTypeKind.String, RpcPrimitive.U8, null, null, maxLength);

    /// <summary>The size of a scalar on the wire.</summary>
    public static int SizeOf(RpcPrimitive primitive) => primitive switch
    {
        RpcPrimitive.U8 or RpcPrimitive.I8 or RpcPrimitive.Bool => 1,
        RpcPrimitive.U16 or RpcPrimitive.I16 => 2,
        RpcPrimitive.U32 or RpcPrimitive.I32 => 4,
        _ => 8,
    };

    /// <summary>The fewest bytes a value of this type takes on the wire.</summary>
    public long MinSize => Kind switch
    {
        RpcTypeKind.Primitive or RpcTypeKind.Enum => SizeOf(Primitive),
        RpcTypeKind.Struct => RpcField.MinSizeOf(Struct!.Fields),
        RpcTypeKind.FixedBytes => Length,
        _ => 2,
    };

    /// <summary>The most bytes a value of this type takes on the wire.</summary>
    public long MaxSize => Kind switch
    {
        RpcTypeKind.Primitive or RpcTypeKind.Enum => SizeOf(Primitive),
        RpcTypeKind.Struct => RpcField.MaxSizeOf(Struct!.Fields),
        RpcTypeKind.FixedBytes => Length,
        _ => 2L + Length,
    };

    /// <summary>True when a value always takes the same number of bytes.</summary>
    public bool IsFixedSize => MinSize == MaxSize;

    /// <summary>True when the C# type is a reference type (can be null, compares by reference unless handled).</summary>
    public bool IsReference => Kind is RpcTypeKind.Struct or RpcTypeKind.FixedBytes or RpcTypeKind.Bytes or RpcTypeKind.String;

    /// <summary>True when the C# type is an array (needs content equality).</summary>
    public bool IsByteArray => Kind is RpcTypeKind.FixedBytes or RpcTypeKind.Bytes;
}

/// <summary>One field of a message or struct.</summary>
internal sealed class RpcField
{
    public RpcField(string name, string description, RpcType type, int count, TextRange range)
    {
        Name = name;
        Description = description;
        Type = type;
        Count = count;
        Range = range;
    }

    /// <summary>The name as written in the file (camelCase).</summary>
    public string Name { get; }

    public string Description { get; }

    /// <summary>The type of the field, or of each element when <see cref="Count"/> is not 0.</summary>
    public RpcType Type { get; }

    /// <summary>The element count of a fixed-count array; 0 for a single value.</summary>
    public int Count { get; }

    public bool IsArray => Count > 0;

    public TextRange Range { get; }

    public long MinSize => IsArray ? Type.MinSize * Count : Type.MinSize;

    public long MaxSize => IsArray ? Type.MaxSize * Count : Type.MaxSize;

    public static long MinSizeOf(IReadOnlyList<RpcField> fields)
    {
        long total = 0;
        foreach (RpcField field in fields)
            total += field.MinSize;
        return total;
    }

    public static long MaxSizeOf(IReadOnlyList<RpcField> fields)
    {
        long total = 0;
        foreach (RpcField field in fields)
            total += field.MaxSize;
        return total;
    }
}

/// <summary>An enumeration with a fixed underlying wire type.</summary>
internal sealed class RpcEnum
{
    public RpcEnum(string name, string description, RpcPrimitive underlying, bool flags)
    {
        Name = name;
        Description = description;
        Underlying = underlying;
        Flags = flags;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>U8, U16 or U32.</summary>
    public RpcPrimitive Underlying { get; }

    /// <summary>A bit set: any combination of bits is valid on the wire.</summary>
    public bool Flags { get; }

    public List<RpcEnumValue> Values { get; } = new();
}

/// <summary>One named value of an enum.</summary>
internal sealed class RpcEnumValue
{
    public RpcEnumValue(string name, ulong value, string description)
    {
        Name = name;
        Value = value;
        Description = description;
    }

    public string Name { get; }

    public ulong Value { get; }

    public string Description { get; }
}

/// <summary>A record of fields that messages embed.</summary>
internal sealed class RpcStruct
{
    public RpcStruct(string name, string description)
    {
        Name = name;
        Description = description;
    }

    public string Name { get; }

    public string Description { get; }

    public List<RpcField> Fields { get; } = new();
}

/// <summary>An error code of the interface (1..0xFEFF).</summary>
internal sealed class RpcError
{
    public RpcError(string name, ushort value, string description)
    {
        Name = name;
        Value = value;
        Description = description;
    }

    public string Name { get; }

    public ushort Value { get; }

    public string Description { get; }
}

/// <summary>A command: a request the host sends and the response the device answers with.</summary>
internal sealed class RpcCommand
{
    public RpcCommand(string name, ushort id, string description, bool idempotent)
    {
        Name = name;
        Id = id;
        Description = description;
        Idempotent = idempotent;
    }

    public string Name { get; }

    public ushort Id { get; }

    public string Description { get; }

    public bool Idempotent { get; }

    public List<RpcField> Request { get; } = new();

    public List<RpcField> Response { get; } = new();

    /// <summary>The interface errors this command can answer with, in file order.</summary>
    public List<RpcError> Errors { get; } = new();
}

/// <summary>An event a device publishes on its own.</summary>
internal sealed class RpcEvent
{
    public RpcEvent(string name, ushort id, string description)
    {
        Name = name;
        Id = id;
        Description = description;
    }

    public string Name { get; }

    public ushort Id { get; }

    public string Description { get; }

    public List<RpcField> Fields { get; } = new();
}

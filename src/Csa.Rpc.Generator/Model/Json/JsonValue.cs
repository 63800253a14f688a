using System.Collections.Generic;

namespace Csa.Rpc.Model.Json;

/// <summary>The kind of a JSON value.</summary>
internal enum JsonKind
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>A span of the source text: offset and length in characters.</summary>
internal readonly struct TextRange
{
    public TextRange(int start, int length)
    {
        Start = start;
        Length = length;
    }

    public int Start { get; }

    public int Length { get; }

    public int End => Start + Length;
}

/// <summary>
/// One JSON value with the range of source text it came from, so every model error can point at the
/// exact token (diagnostics need file, line and column, not just "somewhere in the file").
/// </summary>
internal sealed class JsonValue
{
    private static readonly IReadOnlyList<JsonProperty> NoProperties = new JsonProperty[0];
    private static readonly IReadOnlyList<JsonValue> NoItems = new JsonValue[0];

    private JsonValue(JsonKind kind, TextRange range, string? text, IReadOnlyList<JsonProperty>? properties, IReadOnlyList<JsonValue>? items)
    {
        Kind = kind;
        Range = range;
        Text = text;
        Properties = properties ?? NoProperties;
        Items = items ?? NoItems;
    }

    public JsonKind Kind { get; }

    public TextRange Range { get; }

    /// <summary>The decoded string of a string, the literal text of a number; null otherwise.</summary>
    public string? Text { get; }

    /// <summary>The members of an object in source order; empty otherwise.</summary>
    public IReadOnlyList<JsonProperty> Properties { get; }

    /// <summary>The items of an array; empty otherwise.</summary>
    public IReadOnlyList<JsonValue> Items { get; }

    public static JsonValue Object(TextRange range, IReadOnlyList<JsonProperty> properties) => new(JsonKind.Object, range, null, properties, null);

    public static JsonValue Array(TextRange range, IReadOnlyList<JsonValue> items) => new(JsonKind.Array, range, null, null, items);

    public static JsonValue String(TextRange range, string text) => new(JsonKind.String, range, text, null, null);

    public static JsonValue Number(TextRange range, string text) => new(JsonKind.Number, range, text, null, null);

    public static JsonValue Literal(JsonKind kind, TextRange range) => new(kind, range, null, null, null);

    /// <summary>The first member named <paramref name="name"/>, or null.</summary>
    public JsonProperty? Find(string name)
    {
        foreach (JsonProperty property in Properties)
        {
            if (property.Name == name)
                return property;
        }

        return null;
    }

    /// <summary>How the kind reads in an error message.</summary>
    public static string Describe(JsonKind kind) => kind switch
    {
        JsonKind.Object => "an object",
        JsonKind.Array => "an array",
        JsonKind.String => "a string",
        JsonKind.Number => "a number",
        JsonKind.True or JsonKind.False => "a boolean",
        _ => "null",
    };
}

/// <summary>One member of a JSON object.</summary>
internal sealed class JsonProperty
{
    public JsonProperty(string name, TextRange nameRange, JsonValue value)
    {
        Name = name;
        NameRange = nameRange;
        Value = value;
    }

    public string Name { get; }

    public TextRange NameRange { get; }

    public JsonValue Value { get; }
}

using System.Text.Json;
using Csa.Rpc.Model;

namespace Csa.Rpc.Generator.Tests;

/// <summary>The JSON schema editors use must accept exactly the properties the generator accepts.</summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class SchemaTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(TestPaths.SchemaFile)).RootElement;

    public static TheoryData<string, string[]> Objects => new()
    {
        { "", RpcModelParser.RootProperties },
        { "enum", RpcModelParser.EnumProperties },
        { "struct", RpcModelParser.StructProperties },
        { "error", RpcModelParser.ErrorProperties },
        { "command", RpcModelParser.CommandProperties },
        { "event", RpcModelParser.EventProperties },
        { "field", RpcModelParser.FieldProperties },
    };

    [Theory]
    [MemberData(nameof(Objects))]
    public void Schema_properties_match_the_parser(string definition, string[] parserProperties)
    {
        JsonElement node = definition.Length == 0 ? Schema : Schema.GetProperty("$defs").GetProperty(definition);

        Assert.Equal("object", node.GetProperty("type").GetString());
        Assert.False(node.GetProperty("additionalProperties").GetBoolean());
        Assert.Equal(parserProperties.Order(), node.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public void Enum_value_properties_match_the_parser()
    {
        JsonElement values = Schema.GetProperty("$defs").GetProperty("enum").GetProperty("properties").GetProperty("values").GetProperty("items");

        Assert.Equal(RpcModelParser.EnumValueProperties.Order(), values.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public void Schema_is_draft_2020_12_and_interface_files_reference_it()
    {
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", Schema.GetProperty("$schema").GetString());
        using JsonDocument device = JsonDocument.Parse(File.ReadAllText(TestPaths.DeviceInterfaceFile));
        string relative = device.RootElement.GetProperty("$schema").GetString()!;
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(TestPaths.DeviceInterfaceFile)!, relative)), relative);
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using Csa.Bootloader.Protocol;
using Csa.Rpc;

namespace Csa.Bootloader.Tests.Images;

/// <summary>
/// docs/rpc-interfaces.md sections 6a and 6b publish the Bootloader and Provisioning interfaces, which a host written
/// from the documentation alone needs byte for byte (commands, ids, field layouts, enum values, error numbers). The
/// sections' tables are rendered from the interface files the devices are generated from, so they cannot drift:
/// this test renders them again and compares; CSA_UPDATE_GOLDEN=1 rewrites the blocks in the document instead.
/// </summary>
public sealed class InterfaceReferenceTests
{
    public static TheoryData<string> Interfaces() => ["bootloader.rpc.json", "provisioning.rpc.json"];

    [Theory]
    [MemberData(nameof(Interfaces))]
    [Trait("Requirement", "REQ-UPD-APP")]
    public void The_documented_interface_reference_is_the_interface_file(string file)
    {
        string json = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "src", "Csa.Bootloader.Protocol", "Interfaces", file));
        string rendered = InterfaceReference.Render(json);
        string docPath = RepositoryFiles.Doc("rpc-interfaces.md");
        string doc = File.ReadAllText(docPath).ReplaceLineEndings("\n");
        string begin = $"<!-- reference of src/Csa.Bootloader.Protocol/Interfaces/{file}: written by InterfaceReferenceTests, do not edit -->\n";
        const string End = "<!-- end of reference -->";
        int start = doc.IndexOf(begin, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/rpc-interfaces.md has no block starting with: {begin}");
        start += begin.Length;
        int end = doc.IndexOf(End, start, StringComparison.Ordinal);
        Assert.True(end >= 0, $"the block of {file} in docs/rpc-interfaces.md does not end with {End}");
        if (Environment.GetEnvironmentVariable("CSA_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(docPath, doc[..start] + rendered + doc[end..]);
            return;
        }
        Assert.Equal(rendered, doc[start..end]);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public void Bootloader_messages_have_the_bytes_the_documentation_shows()
    {
        // BeginUpdate's answer to a new application image on an F4 device (resume at 0, 16-byte writes, 4096-byte
        // writes, 4 s worst-case erase) and the answer to its first 4096-byte write.
        Assert.Equal(Documented("rpc-interfaces.md", "BeginUpdateResponse"), Hex(new BeginUpdateResponse(0, 16, 4096, 4000)));
        Assert.Equal(Documented("rpc-interfaces.md", "WriteResponse"), Hex(new WriteResponse(0, 4096, 4096)));
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public void The_missing_blocks_answer_of_device_model_6_4_2_follows_its_bit_rule()
    {
        // A 300 000-byte payload in blocks of 992 bytes (303 blocks, the last one short), blocks 0 and 2 written: block i
        // is bit i mod 8, least significant first, of byte i / 8; the bits from blockCount on are 0.
        const int PayloadSize = 300_000, BlockSize = 992;
        int blockCount = (PayloadSize + BlockSize - 1) / BlockSize;
        byte[] missing = new byte[64];
        for (int block = 0; block < blockCount; block++)
        {
            if (block is not (0 or 2))
                missing[block / 8] |= (byte)(1 << (block % 8));
        }
        Assert.Equal(Documented("device-model.md", "GetMissingBlocksResponse"), Hex(new GetMissingBlocksResponse(BlockSize, (ushort)blockCount, missing)));
        Assert.Equal("00000000E003", Hex(new GetMissingBlocksRequest(0, BlockSize))); // the request the text shows
    }

    private static string Hex<T>(T message) where T : IRpcMessage<T>
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new RpcWriter(buffer);
        message.Write(ref writer);
        return Convert.ToHexString(buffer.WrittenSpan);
    }

    /// <summary>The hex after "<paramref name="name"/>: " in docs/<paramref name="document"/>, spaces removed.</summary>
    private static string Documented(string document, string name)
    {
        string line = File.ReadLines(RepositoryFiles.Doc(document)).Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal));
        return line[(name.Length + 2)..].Replace(" ", "", StringComparison.Ordinal);
    }
}

/// <summary>Renders an interface file as the Markdown reference of docs/rpc-interfaces.md (the wire types of its section 2).</summary>
internal static class InterfaceReference
{
    public static string Render(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        var md = new StringBuilder();
        md.Append($"`{root.GetProperty("name").GetString()}`, id {Number(root.GetProperty("id"))}, version {Number(root.GetProperty("version"))}.\n\n");
        md.Append("| command | id | idempotent | request | response | errors |\n|---|---|---|---|---|---|\n");
        foreach (JsonElement command in Items(root, "commands"))
        {
            md.Append($"| {command.GetProperty("name").GetString()} | {Number(command.GetProperty("id"))} | {(command.GetProperty("idempotent").GetBoolean() ? "yes" : "no")} ");
            md.Append($"| {Fields(command, "request")} | {Fields(command, "response")} ");
            string errors = string.Join(", ", Items(command, "errors").Select(e => e.GetString()));
            md.Append($"| {(errors.Length == 0 ? "–" : errors)} |\n");
        }
        if (Items(root, "events").Any())
        {
            md.Append("\n| event | id | fields |\n|---|---|---|\n");
            foreach (JsonElement e in Items(root, "events"))
                md.Append($"| {e.GetProperty("name").GetString()} | {Number(e.GetProperty("id"))} | {Fields(e, "fields")} |\n");
        }
        md.Append('\n');
        foreach (JsonElement e in Items(root, "enums"))
        {
            string values = string.Join(", ", Items(e, "values").Select(v => $"{v.GetProperty("name").GetString()} {Number(v.GetProperty("value"))}"));
            bool flags = e.TryGetProperty("flags", out JsonElement f) && f.GetBoolean();
            md.Append($"- enum `{e.GetProperty("name").GetString()}` ({Underlying(e)}{(flags ? ", flags" : "")}): {values}\n");
        }
        foreach (JsonElement s in Items(root, "structs"))
            md.Append($"- struct `{s.GetProperty("name").GetString()}`: {Fields(s, "fields")}\n");
        md.Append("\n| error | name | meaning |\n|---|---|---|\n");
        foreach (JsonElement e in Items(root, "errors"))
            md.Append($"| {Number(e.GetProperty("value"))} | {e.GetProperty("name").GetString()} | {Text(e)} |\n");
        return md.ToString();
    }

    private static IEnumerable<JsonElement> Items(JsonElement owner, string property) =>
        owner.TryGetProperty(property, out JsonElement array) ? array.EnumerateArray() : [];

    private static string Underlying(JsonElement e) => e.TryGetProperty("underlying", out JsonElement u) ? u.GetString()! : "u8";

    /// <summary>Each field as "name type", with the wire shape of section 2: fixed lengths and counts in brackets, a u16 length before variable bytes and strings.</summary>
    private static string Fields(JsonElement owner, string property)
    {
        string[] fields = [.. Items(owner, property).Select(Field)];
        return fields.Length == 0 ? "–" : string.Join(", ", fields);
    }

    private static string Field(JsonElement field)
    {
        string name = field.GetProperty("name").GetString()!;
        string type = field.GetProperty("type").GetString()!;
        if (field.TryGetProperty("count", out JsonElement count))
            type += $"[{Number(count)}]";
        else if (field.TryGetProperty("length", out JsonElement length))
            type += $"[{Number(length)}]";
        else if (field.TryGetProperty("maxLength", out JsonElement max))
            type += $" (u16 length, at most {Number(max)})";
        return $"{name} {type}";
    }

    private static string Text(JsonElement e) =>
        e.TryGetProperty("description", out JsonElement d) ? d.GetString()!.Replace("|", "\\|", StringComparison.Ordinal) : "";

    /// <summary>A JSON number or hexadecimal string (section 2), written as the file writes it.</summary>
    private static string Number(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
}

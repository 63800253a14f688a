using System;
using System.Collections.Generic;
using System.Globalization;
using Csa.Rpc.Model.Json;

namespace Csa.Rpc.Model;

/// <summary>The outcome of parsing one interface file: the model when it is valid, and every problem found.</summary>
internal sealed class RpcParseResult
{
    public RpcParseResult(RpcInterface? model, IReadOnlyList<ModelDiagnostic> diagnostics)
    {
        Interface = model;
        Diagnostics = diagnostics;
    }

    /// <summary>The model; null when <see cref="Diagnostics"/> holds an error.</summary>
    public RpcInterface? Interface { get; }

    public IReadOnlyList<ModelDiagnostic> Diagnostics { get; }
}

/// <summary>
/// Turns the text of a <c>*.rpc.json</c> file into a validated <see cref="RpcInterface"/>. Reports as many
/// problems as it can find in one pass (each with its position) rather than stopping at the first, and
/// never throws: an unexpected failure becomes <see cref="ModelDiagnosticIds.InternalError"/>.
/// </summary>
internal sealed class RpcModelParser
{
    /// <summary>The largest payload a message may need; lengths on the wire are u16.</summary>
    public const int MaxPayloadSize = 0xFFFF;

    internal static readonly string[] RootProperties = { "$schema", "name", "id", "version", "namespace", "description", "enums", "structs", "errors", "commands", "events" };
    internal static readonly string[] EnumProperties = { "name", "description", "underlying", "flags", "values" };
    internal static readonly string[] EnumValueProperties = { "name", "value", "description" };
    internal static readonly string[] StructProperties = { "name", "description", "fields" };
    internal static readonly string[] ErrorProperties = { "name", "value", "description" };
    internal static readonly string[] CommandProperties = { "name", "id", "description", "idempotent", "request", "response", "errors" };
    internal static readonly string[] EventProperties = { "name", "id", "description", "fields" };
    internal static readonly string[] FieldProperties = { "name", "type", "description", "length", "maxLength", "count" };

    /// <summary>Members every generated record has; a field must not take one of these names.</summary>
    private static readonly HashSet<string> ReservedFieldNames = new(StringComparer.Ordinal)
    {
        "Write", "Read", "Equals", "GetHashCode", "ToString", "GetType", "Deconstruct", "EqualityContract",
        "PrintMembers", "MemberwiseClone", "CancellationToken", "MinEncodedSize", "MaxEncodedSize",
    };

    /// <summary>Members of the generated client and server besides the per-command and per-event ones.</summary>
    private static readonly string[] ReservedMemberNames =
    {
        "Invoker", "Device", "Dispose", "DispatchAsync", "InterfaceId", "EventSink", "Error", "Equals", "GetHashCode",
        "ToString", "GetType", "MemberwiseClone", "ReferenceEquals", "Finalize",
    };

    private readonly string _text;
    private readonly List<ModelDiagnostic> _diagnostics = new();
    private readonly Dictionary<string, RpcEnum> _enums = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RpcStruct> _structs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TextRange> _typeNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _cTypeNames = new(StringComparer.Ordinal);
    private LineMap? _lines;

    private RpcModelParser(string text) => _text = text;

    /// <summary>Parses and validates one interface file.</summary>
    public static RpcParseResult Parse(string text)
    {
        var parser = new RpcModelParser(text ?? string.Empty);
        RpcInterface? model = null;
        try
        {
            JsonValue root = JsonParser.Parse(parser._text);
            model = parser.ParseInterface(root);
        }
        catch (JsonSyntaxException ex)
        {
            parser.Report(ModelDiagnosticIds.InvalidJson, ex.Message, ex.Range);
        }
#pragma warning disable CA1031 // A broken file must become a diagnostic, never a crashed build.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            parser.Report(ModelDiagnosticIds.InternalError, $"Internal error while reading the interface file: {ex.GetType().Name}: {ex.Message}", new TextRange(0, 0));
        }

        return new RpcParseResult(parser._diagnostics.Count == 0 ? model : null, parser._diagnostics);
    }

    private RpcInterface? ParseInterface(JsonValue root)
    {
        if (root.Kind != JsonKind.Object)
        {
            Report(ModelDiagnosticIds.WrongValueKind, $"The interface file must hold a JSON object, not {JsonValue.Describe(root.Kind)}.", root.Range);
            return null;
        }

        CheckProperties(root, "The interface", RootProperties);
        string name = RequiredName(root, "The interface", pascal: true) ?? "Interface";
        ushort id = (ushort)RequiredInteger(root, "id", "The interface", 0, 0xFFFF);
        ushort version = (ushort)RequiredInteger(root, "version", "The interface", 1, 0xFFFF);
        string? ns = OptionalString(root, "namespace", "The interface");
        if (ns is not null && !Naming.IsNamespace(ns))
            Report(ModelDiagnosticIds.InvalidName, $"'{ns}' is not a valid C# namespace (dotted identifiers, no keywords).", root.Find("namespace")!.Value.Range);
        var model = new RpcInterface(name, id, version, ns, OptionalString(root, "description", "The interface") ?? string.Empty);

        TextRange nameRange = root.Find("name")?.Value.Range ?? new TextRange(root.Range.Start, 1);
        foreach (string generated in new[] { name + "Error", name + "Client", name + "ServerBase", name + "Interface", name + "Codec" })
            _typeNames[generated] = nameRange;
        // Types of the C binding (<prefix>_handlers_t, ...): a struct of one of these names would collide there.
        foreach (string generated in new[] { "Handlers", "EventHandlers", "DispatchScratch" })
            _cTypeNames[Naming.ToSnake(generated)] = generated + " (generated in the C binding)";

        foreach (JsonValue item in OptionalArray(root, "enums", "The interface"))
            ParseEnum(model, item);
        ParseStructs(model, OptionalArray(root, "structs", "The interface"));
        ParseErrors(model, OptionalArray(root, "errors", "The interface"), name + "Error");

        var errorsByName = new Dictionary<string, RpcError>(StringComparer.Ordinal);
        foreach (RpcError error in model.Errors)
            errorsByName[error.Name] = error;

        var commandIds = new Dictionary<ushort, string>();
        var memberNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string reserved in ReservedMemberNames)
            memberNames[reserved] = "a member every generated client or server has";

        foreach (JsonValue item in OptionalArray(root, "commands", "The interface"))
            ParseCommand(model, item, errorsByName, commandIds, memberNames);

        var eventIds = new Dictionary<ushort, string>();
        foreach (JsonValue item in OptionalArray(root, "events", "The interface"))
            ParseEvent(model, item, eventIds, memberNames);

        return model;
    }

    private void ParseEnum(RpcInterface model, JsonValue item)
    {
        if (!ExpectObject(item, "An enum"))
            return;
        string context = "An enum";
        CheckProperties(item, context, EnumProperties);
        string? name = RequiredName(item, context, pascal: true);
        context = name is null ? context : $"Enum '{name}'";
        string description = OptionalString(item, "description", context) ?? string.Empty;
        bool flags = OptionalBool(item, "flags", context) ?? false;

        RpcPrimitive underlying = RpcPrimitive.U8;
        JsonValue? underlyingValue = Get(item, "underlying", JsonKind.String, context, required: true);
        if (underlyingValue is not null)
        {
            switch (underlyingValue.Text)
            {
                case "u8": underlying = RpcPrimitive.U8; break;
                case "u16": underlying = RpcPrimitive.U16; break;
                case "u32": underlying = RpcPrimitive.U32; break;
                default:
                    Report(ModelDiagnosticIds.UnknownType, $"{context}: underlying type '{underlyingValue.Text}' is not one of u8, u16, u32.", underlyingValue.Range);
                    break;
            }
        }

        var rpcEnum = new RpcEnum(name ?? "Enum", description, underlying, flags);
        ulong max = underlying switch { RpcPrimitive.U8 => 0xFF, RpcPrimitive.U16 => 0xFFFF, _ => 0xFFFFFFFF };
        var names = new HashSet<string>(StringComparer.Ordinal);
        var cValueNames = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<ulong, string>();
        JsonValue? valuesArray = Get(item, "values", JsonKind.Array, context, required: true);
        if (valuesArray is not null && valuesArray.Items.Count == 0)
            Report(ModelDiagnosticIds.OutOfRange, $"{context} needs at least one value.", valuesArray.Range);
        foreach (JsonValue valueItem in valuesArray?.Items ?? Array.Empty<JsonValue>())
        {
            if (!ExpectObject(valueItem, $"A value of {Lower(context)}"))
                continue;
            string valueContext = $"A value of {Lower(context)}";
            CheckProperties(valueItem, valueContext, EnumValueProperties);
            string? valueName = RequiredName(valueItem, valueContext, pascal: true);
            if (valueName is not null)
                valueContext = $"Value '{valueName}' of {Lower(context)}";
            ulong value = RequiredInteger(valueItem, "value", valueContext, 0, max);
            string valueDescription = OptionalString(valueItem, "description", valueContext) ?? string.Empty;
            if (valueName is null)
                continue;
            if (valueName == name)
            {
                Report(ModelDiagnosticIds.InvalidName, $"{context}: a value must not have the enum's own name.", valueItem.Find("name")!.Value.Range);
                continue;
            }

            if (!names.Add(valueName))
                Report(ModelDiagnosticIds.DuplicateName, $"{context} has two values named '{valueName}'.", valueItem.Find("name")!.Value.Range);
            else if (!cValueNames.Add(Naming.ToUpperSnake(valueName)))
                Report(ModelDiagnosticIds.DuplicateName, $"{context}: value '{valueName}' has the same C name ({Naming.ToUpperSnake(valueName)}) as another value.", valueItem.Find("name")!.Value.Range);
            else if (values.TryGetValue(value, out string? other))
                Report(ModelDiagnosticIds.DuplicateId, $"{context}: values '{other}' and '{valueName}' both have the value {value}.", (valueItem.Find("value")?.Value ?? valueItem).Range);
            else
                values[value] = valueName;
            rpcEnum.Values.Add(new RpcEnumValue(valueName, value, valueDescription));
        }

        if (name is not null && RegisterTypeName(name, item.Find("name")!.Value.Range))
        {
            _enums[name] = rpcEnum;
            model.Enums.Add(rpcEnum);
        }
    }

    private void ParseStructs(RpcInterface model, IReadOnlyList<JsonValue> items)
    {
        // Names first, so a struct may embed one declared after it.
        var declared = new List<(RpcStruct Struct, JsonValue Json)>();
        foreach (JsonValue item in items)
        {
            if (!ExpectObject(item, "A struct"))
                continue;
            CheckProperties(item, "A struct", StructProperties);
            string? name = RequiredName(item, "A struct", pascal: true);
            if (name is null || !RegisterTypeName(name, item.Find("name")!.Value.Range))
                continue;
            var rpcStruct = new RpcStruct(name, OptionalString(item, "description", $"Struct '{name}'") ?? string.Empty);
            _structs[name] = rpcStruct;
            declared.Add((rpcStruct, item));
        }

        foreach ((RpcStruct rpcStruct, JsonValue json) in declared)
            ParseFields(rpcStruct.Fields, Get(json, "fields", JsonKind.Array, $"Struct '{rpcStruct.Name}'", required: true), $"struct '{rpcStruct.Name}'", rpcStruct.Name);

        // Order structs so each comes after the ones it embeds; a cycle would make an infinite record.
        var state = new Dictionary<RpcStruct, int>();
        foreach ((RpcStruct rpcStruct, JsonValue json) in declared)
            Visit(rpcStruct, json, model.Structs, state, new Stack<RpcStruct>());
    }

    private void Visit(RpcStruct rpcStruct, JsonValue json, List<RpcStruct> ordered, Dictionary<RpcStruct, int> state, Stack<RpcStruct> path)
    {
        if (state.TryGetValue(rpcStruct, out int mark))
        {
            if (mark == 1)
            {
                var names = new List<string>();
                foreach (RpcStruct s in path)
                    names.Insert(0, s.Name);
                names.Add(rpcStruct.Name);
                Report(ModelDiagnosticIds.StructCycle, $"Struct '{rpcStruct.Name}' contains itself: {string.Join(" -> ", names)}.", json.Find("name")?.Value.Range ?? json.Range);
            }

            return;
        }

        state[rpcStruct] = 1;
        path.Push(rpcStruct);
        foreach (RpcField field in rpcStruct.Fields)
        {
            if (field.Type.Struct is not null)
                Visit(field.Type.Struct, json, ordered, state, path);
        }

        path.Pop();
        state[rpcStruct] = 2;
        ordered.Add(rpcStruct);
    }

    private void ParseErrors(RpcInterface model, IReadOnlyList<JsonValue> items, string errorEnumName)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var cNames = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<ushort, string>();
        foreach (JsonValue item in items)
        {
            if (!ExpectObject(item, "An error"))
                continue;
            CheckProperties(item, "An error", ErrorProperties);
            string? name = RequiredName(item, "An error", pascal: true);
            string context = name is null ? "An error" : $"Error '{name}'";
            ushort value = (ushort)RequiredInteger(item, "value", context, 1, 0xFEFF);
            string description = OptionalString(item, "description", context) ?? string.Empty;
            if (name is null)
                continue;
            if (name == errorEnumName)
            {
                Report(ModelDiagnosticIds.InvalidName, $"An error must not be named '{name}', the name of the generated error enum.", item.Find("name")!.Value.Range);
                continue;
            }

            if (!names.Add(name) || !cNames.Add(Naming.ToUpperSnake(name)))
            {
                Report(ModelDiagnosticIds.DuplicateName, $"Two errors are named '{name}' (in C: {Naming.ToUpperSnake(name)}).", item.Find("name")!.Value.Range);
                continue;
            }

            if (value != 0 && values.TryGetValue(value, out string? other))
                Report(ModelDiagnosticIds.DuplicateId, $"Errors '{other}' and '{name}' both have the value {value}.", (item.Find("value")?.Value ?? item).Range);
            else
                values[value] = name;
            model.Errors.Add(new RpcError(name, value, description));
        }
    }

    private void ParseCommand(RpcInterface model, JsonValue item, Dictionary<string, RpcError> errorsByName, Dictionary<ushort, string> ids, Dictionary<string, string> memberNames)
    {
        if (!ExpectObject(item, "A command"))
            return;
        CheckProperties(item, "A command", CommandProperties);
        string? name = RequiredName(item, "A command", pascal: true);
        string context = name is null ? "A command" : $"Command '{name}'";
        ushort id = (ushort)RequiredInteger(item, "id", context, 0, 0xFFFF);
        string description = OptionalString(item, "description", context) ?? string.Empty;
        bool idempotent = OptionalBool(item, "idempotent", context, required: true) ?? false;
        var command = new RpcCommand(name ?? "Command", id, description, idempotent);
        ParseFields(command.Request, Get(item, "request", JsonKind.Array, context, required: false), $"the request of {Lower(context)}", command.Name + "Request");
        ParseFields(command.Response, Get(item, "response", JsonKind.Array, context, required: false), $"the response of {Lower(context)}", command.Name + "Response");
        CheckPayloadSize(command.Request, item.Find("request")?.Value ?? item, $"The request of {Lower(context)}");
        CheckPayloadSize(command.Response, item.Find("response")?.Value ?? item, $"The response of {Lower(context)}");

        JsonValue? errors = Get(item, "errors", JsonKind.Array, context, required: false);
        foreach (JsonValue errorName in errors?.Items ?? Array.Empty<JsonValue>())
        {
            if (errorName.Kind != JsonKind.String)
            {
                Report(ModelDiagnosticIds.WrongValueKind, $"{context}: 'errors' lists error names as strings, not {JsonValue.Describe(errorName.Kind)}.", errorName.Range);
                continue;
            }

            if (!errorsByName.TryGetValue(errorName.Text!, out RpcError? error))
                Report(ModelDiagnosticIds.UnknownError, $"{context} lists error '{errorName.Text}', which the interface's 'errors' does not define.", errorName.Range);
            else if (command.Errors.Contains(error))
                Report(ModelDiagnosticIds.DuplicateName, $"{context} lists error '{errorName.Text}' twice.", errorName.Range);
            else
                command.Errors.Add(error);
        }

        if (name is null)
            return;
        TextRange nameRange = item.Find("name")!.Value.Range;
        if (ids.TryGetValue(id, out string? other))
        {
            Report(ModelDiagnosticIds.DuplicateId, $"Commands '{other}' and '{name}' both have the id {id} (0x{id:X4}).", (item.Find("id")?.Value ?? item).Range);
            return;
        }

        if (name == "Commands")
        {
            Report(ModelDiagnosticIds.InvalidName, "A command must not be named 'Commands': the generated id class of that name holds the command ids.", nameRange);
            return;
        }

        // The client has an async form and a blocking form (for Python and scripts) of every command.
        bool unique = RegisterMemberName(memberNames, name + "Async", $"command '{name}'", nameRange)
            && RegisterMemberName(memberNames, name, $"command '{name}'", nameRange)
            && RegisterTypeName(name + "Request", nameRange)
            && RegisterTypeName(name + "Response", nameRange)
            && RegisterCTypeName(name + "Handler", nameRange)
            && RegisterCTypeName(name + "Done", nameRange);
        if (!unique)
            return;
        ids[id] = name;
        model.Commands.Add(command);
    }

    private void ParseEvent(RpcInterface model, JsonValue item, Dictionary<ushort, string> ids, Dictionary<string, string> memberNames)
    {
        if (!ExpectObject(item, "An event"))
            return;
        CheckProperties(item, "An event", EventProperties);
        string? name = RequiredName(item, "An event", pascal: true);
        string context = name is null ? "An event" : $"Event '{name}'";
        ushort id = (ushort)RequiredInteger(item, "id", context, 0, 0xFFFF);
        var rpcEvent = new RpcEvent(name ?? "Event", id, OptionalString(item, "description", context) ?? string.Empty);
        ParseFields(rpcEvent.Fields, Get(item, "fields", JsonKind.Array, context, required: false), Lower(context), rpcEvent.Name + "Event");
        CheckPayloadSize(rpcEvent.Fields, item.Find("fields")?.Value ?? item, context);
        if (name is null)
            return;
        TextRange nameRange = item.Find("name")!.Value.Range;
        if (ids.TryGetValue(id, out string? other))
        {
            Report(ModelDiagnosticIds.DuplicateId, $"Events '{other}' and '{name}' both have the id {id} (0x{id:X4}).", (item.Find("id")?.Value ?? item).Range);
            return;
        }

        if (name == "Events")
        {
            Report(ModelDiagnosticIds.InvalidName, "An event must not be named 'Events': the generated id class of that name holds the event ids.", nameRange);
            return;
        }

        bool unique = RegisterMemberName(memberNames, name, $"event '{name}'", nameRange)
            && RegisterMemberName(memberNames, name + "EventsAsync", $"event '{name}'", nameRange)
            && RegisterTypeName(name + "Event", nameRange);
        if (!unique)
            return;
        ids[id] = name;
        model.Events.Add(rpcEvent);
    }

    private void ParseFields(List<RpcField> fields, JsonValue? array, string owner, string recordName)
    {
        if (array is null)
            return;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var cMembers = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonValue item in array.Items)
        {
            string context = $"A field of {owner}";
            if (!ExpectObject(item, context))
                continue;
            CheckProperties(item, context, FieldProperties);
            string? name = RequiredName(item, context, pascal: false);
            if (name is not null)
                context = $"Field '{name}' of {owner}";
            string description = OptionalString(item, "description", context) ?? string.Empty;
            RpcType? type = ParseFieldType(item, context, out int count);
            if (name is null || type is null)
                continue;
            TextRange nameRange = item.Find("name")!.Value.Range;
            string pascal = Naming.ToPascal(name);
            if (ReservedFieldNames.Contains(pascal) || pascal == recordName)
            {
                Report(ModelDiagnosticIds.InvalidName, $"{context}: the name '{name}' is taken by a member of the generated record '{recordName}'.", nameRange);
                continue;
            }

            if (!names.Add(name))
            {
                Report(ModelDiagnosticIds.DuplicateName, $"Two fields of {owner} are named '{name}'.", nameRange);
                continue;
            }

            // The C header names members in snake_case and adds '<member>_len' for bytes and strings.
            string member = Naming.ToCMember(name);
            bool clash = !cMembers.Add(member) || (type.Kind is RpcTypeKind.Bytes or RpcTypeKind.String && !cMembers.Add(member + "_len"));
            if (clash)
            {
                Report(ModelDiagnosticIds.DuplicateName, $"{context}: its C member name '{member}' (or '{member}_len') is already used by another field of {owner}.", nameRange);
                continue;
            }

            fields.Add(new RpcField(name, description, type, count, item.Range));
        }
    }

    private RpcType? ParseFieldType(JsonValue item, string context, out int count)
    {
        count = 0;
        JsonValue? typeValue = Get(item, "type", JsonKind.String, context, required: true);
        JsonProperty? lengthProperty = item.Find("length");
        JsonProperty? maxLengthProperty = item.Find("maxLength");
        JsonProperty? countProperty = item.Find("count");
        int? length = lengthProperty is null ? null : (int)RequiredInteger(item, "length", context, 1, MaxPayloadSize);
        int? maxLength = maxLengthProperty is null ? null : (int)RequiredInteger(item, "maxLength", context, 1, MaxPayloadSize);
        int? explicitCount = countProperty is null ? null : (int)RequiredInteger(item, "count", context, 1, MaxPayloadSize);
        if (typeValue is null)
            return null;

        string text = typeValue.Text!.Trim();
        TextRange range = typeValue.Range;
        int? bracketCount = null;
        int open = text.IndexOf('[');
        if (open >= 0)
        {
            string inside = text.EndsWith("]", StringComparison.Ordinal) ? text.Substring(open + 1, text.Length - open - 2) : string.Empty;
            if (!int.TryParse(inside, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1 || n > MaxPayloadSize)
            {
                Report(ModelDiagnosticIds.BadLength, $"{context}: '{text}' needs a count from 1 to {MaxPayloadSize} in the brackets, e.g. 'bytes[16]'.", range);
                return null;
            }

            bracketCount = n;
            text = text.Substring(0, open);
        }

        if (bracketCount is not null && explicitCount is not null)
        {
            Report(ModelDiagnosticIds.BadLength, $"{context}: give the count either in brackets or as 'count', not both.", countProperty!.NameRange);
            return null;
        }

        int? arrayCount = bracketCount ?? explicitCount;
        bool isBytes = text == "bytes" || (text == "u8" && arrayCount is not null);
        if (!isBytes && text != "string" && (lengthProperty is not null || maxLengthProperty is not null))
        {
            Report(ModelDiagnosticIds.BadLength, $"{context}: 'length' and 'maxLength' apply only to bytes and string fields.", (lengthProperty ?? maxLengthProperty)!.NameRange);
            return null;
        }

        if (isBytes)
        {
            int given = (arrayCount is null ? 0 : 1) + (length is null ? 0 : 1) + (maxLength is null ? 0 : 1);
            if (given != 1)
            {
                Report(ModelDiagnosticIds.BadLength, given == 0
                    ? $"{context}: a bytes field needs its size: 'bytes[16]' or \"length\" for a fixed size, \"maxLength\" for a length-prefixed one."
                    : $"{context}: a bytes field takes exactly one of a fixed size ('bytes[N]', \"length\" or \"count\") or \"maxLength\".", range);
                return null;
            }

            return maxLength is not null ? RpcType.Bytes(maxLength.Value) : RpcType.FixedBytes(arrayCount ?? length!.Value);
        }

        if (text == "string")
        {
            if (arrayCount is not null || length is not null)
            {
                Report(ModelDiagnosticIds.BadLength, $"{context}: a string has a maximum length (\"maxLength\"), not a fixed size or count.", range);
                return null;
            }

            if (maxLength is null)
            {
                Report(ModelDiagnosticIds.BadLength, $"{context}: a string field needs \"maxLength\" (its most UTF-8 bytes).", range);
                return null;
            }

            return RpcType.String(maxLength.Value);
        }

        RpcType? element = text switch
        {
            "u8" => RpcType.Of(RpcPrimitive.U8),
            "u16" => RpcType.Of(RpcPrimitive.U16),
            "u32" => RpcType.Of(RpcPrimitive.U32),
            "u64" => RpcType.Of(RpcPrimitive.U64),
            "i8" => RpcType.Of(RpcPrimitive.I8),
            "i16" => RpcType.Of(RpcPrimitive.I16),
            "i32" => RpcType.Of(RpcPrimitive.I32),
            "i64" => RpcType.Of(RpcPrimitive.I64),
            "bool" => RpcType.Of(RpcPrimitive.Bool),
            _ => _enums.TryGetValue(text, out RpcEnum? e) ? RpcType.Of(e) : _structs.TryGetValue(text, out RpcStruct? s) ? RpcType.Of(s) : null,
        };
        if (element is null)
        {
            Report(ModelDiagnosticIds.UnknownType, $"{context}: unknown type '{typeValue.Text}'. Use u8, u16, u32, u64, i8, i16, i32, i64, bool, bytes, string, or an enum or struct this file declares.", range);
            return null;
        }

        count = arrayCount ?? 0;
        return element;
    }

    private void CheckPayloadSize(List<RpcField> fields, JsonValue at, string context)
    {
        long max = RpcField.MaxSizeOf(fields);
        if (max > MaxPayloadSize)
            Report(ModelDiagnosticIds.BadLength, $"{context} can take up to {max} bytes; a payload is at most {MaxPayloadSize} bytes.", at.Range);
    }

    private bool RegisterTypeName(string name, TextRange range)
    {
        if (_typeNames.ContainsKey(name))
        {
            Report(ModelDiagnosticIds.DuplicateName, $"The type name '{name}' is used twice (enums, structs and the generated Request/Response/Event/Client/ServerBase/Interface/Error types share one namespace).", range);
            return false;
        }

        // C type names are snake_case: 'HttpServer' and 'HTTPServer' would both be '<prefix>_http_server_t'.
        string snake = Naming.ToSnake(name);
        if (_cTypeNames.TryGetValue(snake, out string? other))
        {
            Report(ModelDiagnosticIds.DuplicateName, $"The type names '{other}' and '{name}' are both '{snake}' in the C header.", range);
            return false;
        }

        _typeNames[name] = range;
        _cTypeNames[snake] = name;
        return true;
    }

    /// <summary>Claims a C type name of the binding (<c>&lt;prefix&gt;_&lt;command&gt;_handler_t</c>, ...) for a generated type.</summary>
    private bool RegisterCTypeName(string name, TextRange range)
    {
        string snake = Naming.ToSnake(name);
        if (_cTypeNames.TryGetValue(snake, out string? other))
        {
            Report(ModelDiagnosticIds.DuplicateName, $"The C binding's type '{snake}' generated for '{name}' is also the C name of '{other}'.", range);
            return false;
        }

        _cTypeNames[snake] = name + " (generated in the C binding)";
        return true;
    }

    private bool RegisterMemberName(Dictionary<string, string> members, string member, string owner, TextRange range)
    {
        if (members.TryGetValue(member, out string? other))
        {
            if (other == owner)
            {
                Report(ModelDiagnosticIds.DuplicateName, $"There are two {owner}s; names must be unique.", range);
                return false;
            }

            Report(ModelDiagnosticIds.DuplicateName, $"The generated member '{member}' of {owner} clashes with {other}.", range);
            return false;
        }

        members[member] = owner;
        return true;
    }

    private void CheckProperties(JsonValue obj, string context, string[] allowed)
    {
        foreach (JsonProperty property in obj.Properties)
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
                Report(ModelDiagnosticIds.UnknownProperty, $"{context} has an unknown property '{property.Name}'. Allowed: {string.Join(", ", allowed)}.", property.NameRange);
        }
    }

    private bool ExpectObject(JsonValue value, string what)
    {
        if (value.Kind == JsonKind.Object)
            return true;
        Report(ModelDiagnosticIds.WrongValueKind, $"{what} must be a JSON object, not {JsonValue.Describe(value.Kind)}.", value.Range);
        return false;
    }

    private JsonValue? Get(JsonValue obj, string name, JsonKind kind, string context, bool required)
    {
        JsonProperty? property = obj.Find(name);
        if (property is null)
        {
            if (required)
                Report(ModelDiagnosticIds.MissingProperty, $"{context} is missing the required property '{name}'.", new TextRange(obj.Range.Start, 1));
            return null;
        }

        if (property.Value.Kind != kind && !(kind == JsonKind.True && property.Value.Kind == JsonKind.False))
        {
            Report(ModelDiagnosticIds.WrongValueKind, $"{context}: '{name}' must be {JsonValue.Describe(kind)}, not {JsonValue.Describe(property.Value.Kind)}.", property.Value.Range);
            return null;
        }

        return property.Value;
    }

    private IReadOnlyList<JsonValue> OptionalArray(JsonValue obj, string name, string context) =>
        Get(obj, name, JsonKind.Array, context, required: false)?.Items ?? Array.Empty<JsonValue>();

    private string? OptionalString(JsonValue obj, string name, string context) => Get(obj, name, JsonKind.String, context, required: false)?.Text;

    private bool? OptionalBool(JsonValue obj, string name, string context, bool required = false)
    {
        JsonValue? value = Get(obj, name, JsonKind.True, context, required);
        return value is null ? null : value.Kind == JsonKind.True;
    }

    private string? RequiredName(JsonValue obj, string context, bool pascal)
    {
        JsonValue? value = Get(obj, "name", JsonKind.String, context, required: true);
        if (value is null)
            return null;
        string name = value.Text!;
        bool valid = pascal ? Naming.IsPascal(name) : Naming.IsCamel(name);
        if (!valid)
        {
            Report(ModelDiagnosticIds.InvalidName, pascal
                ? $"{context}: '{name}' is not a valid name; use PascalCase ASCII letters and digits (e.g. 'GetIdentity'), at most {Naming.MaxNameLength} characters."
                : $"{context}: '{name}' is not a valid field name; use camelCase ASCII letters and digits (e.g. 'productName'), at most {Naming.MaxNameLength} characters.", value.Range);
            return null;
        }

        return name;
    }

    /// <summary>Reads a non-negative integer: a JSON integer or a string "0x..." in hexadecimal.</summary>
    private ulong RequiredInteger(JsonValue obj, string name, string context, ulong min, ulong max)
    {
        JsonProperty? property = obj.Find(name);
        if (property is null)
        {
            Report(ModelDiagnosticIds.MissingProperty, $"{context} is missing the required property '{name}'.", new TextRange(obj.Range.Start, 1));
            return min;
        }

        JsonValue value = property.Value;
        ulong result;
        bool parsed;
        if (value.Kind == JsonKind.Number)
        {
            string text = value.Text!;
            if (text.StartsWith("-", StringComparison.Ordinal))
            {
                Report(ModelDiagnosticIds.OutOfRange, $"{context}: '{name}' is {text}; it must be from {min} to {max}.", value.Range);
                return min;
            }

            parsed = ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out result);
            if (!parsed && text.IndexOfAny(new[] { '.', 'e', 'E' }) >= 0)
            {
                Report(ModelDiagnosticIds.WrongValueKind, $"{context}: '{name}' must be a whole number, not {text}.", value.Range);
                return min;
            }
        }
        else if (value.Kind == JsonKind.String && value.Text!.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && value.Text.Length > 2)
        {
            parsed = ulong.TryParse(value.Text.Substring(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out result);
            if (!parsed && !IsHex(value.Text.Substring(2)))
            {
                Report(ModelDiagnosticIds.WrongValueKind, $"{context}: '{name}' is \"{value.Text}\", which is not a hexadecimal number.", value.Range);
                return min;
            }
        }
        else
        {
            Report(ModelDiagnosticIds.WrongValueKind, $"{context}: '{name}' must be a number or a hexadecimal string like \"0x0010\", not {JsonValue.Describe(value.Kind)}.", value.Range);
            return min;
        }

        if (!parsed || result < min || result > max)
        {
            Report(ModelDiagnosticIds.OutOfRange, $"{context}: '{name}' is {(value.Kind == JsonKind.String ? value.Text : value.Text)}; it must be from {min} to {max} (0x{max:X}).", value.Range);
            return min;
        }

        return result;
    }

    private static bool IsHex(string text)
    {
        foreach (char c in text)
        {
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                return false;
        }

        return text.Length > 0;
    }

    private static string Lower(string context) => context.Length == 0 ? context : char.ToLowerInvariant(context[0]) + context.Substring(1);

    private void Report(string id, string message, TextRange range)
    {
        _lines ??= new LineMap(_text);
        (int line, int column) = _lines.Locate(range.Start);
        _diagnostics.Add(new ModelDiagnostic(id, message, range, line, column));
    }
}

using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Csa.Trace.Results;

/// <summary>
/// Reads the xunit <c>Trait</c> attributes of test methods and their classes from a test assembly's metadata (without
/// loading it): a trx file records each test's assembly, class and method but not its traits. Like xunit, a test has the
/// traits of its method and of its class and the class's base classes.
/// </summary>
internal sealed class TraitReader
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, List<(string Name, string Value)>>> _assemblies = new(StringComparer.Ordinal);

    /// <summary>The traits of <paramref name="className"/>.<paramref name="method"/> in the assembly at <paramref name="assemblyPath"/>.</summary>
    public IReadOnlyList<(string Name, string Value)> Read(string assemblyPath, string className, string method)
    {
        if (!_assemblies.TryGetValue(assemblyPath, out IReadOnlyDictionary<string, List<(string, string)>>? traits))
        {
            traits = Load(assemblyPath);
            _assemblies[assemblyPath] = traits;
        }
        return traits.TryGetValue(className + "::" + method, out List<(string, string)>? list) ? list : [];
    }

    /// <summary>Every "Class::Method" of the assembly with its traits (method, class and base classes).</summary>
    private static Dictionary<string, List<(string, string)>> Load(string path)
    {
        if (!File.Exists(path))
            throw new TraceInputException($"test assembly {path} (named by a trx file) does not exist: its traits cannot be read");
        using FileStream stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata)
            throw new TraceInputException($"{path} is no .NET assembly");
        MetadataReader md = pe.GetMetadataReader();
        var byType = new Dictionary<TypeDefinitionHandle, string>();
        foreach (TypeDefinitionHandle h in md.TypeDefinitions)
            byType[h] = FullName(md, h);

        var result = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
        foreach (TypeDefinitionHandle typeHandle in md.TypeDefinitions)
        {
            // Class traits: this class and its base classes within the assembly.
            var classTraits = new List<(string, string)>();
            var methods = new Dictionary<string, List<(string, string)>>(StringComparer.Ordinal);
            TypeDefinitionHandle? current = typeHandle;
            int depth = 0;
            while (current is { } h && depth++ < 32)
            {
                TypeDefinition type = md.GetTypeDefinition(h);
                classTraits.AddRange(TraitsOf(md, type.GetCustomAttributes()));
                foreach (MethodDefinitionHandle mh in type.GetMethods())
                {
                    MethodDefinition m = md.GetMethodDefinition(mh);
                    string name = md.GetString(m.Name);
                    List<(string, string)> found = TraitsOf(md, m.GetCustomAttributes());
                    // A derived class's override or a base method of the same name: the most derived declaration wins.
                    if (!methods.ContainsKey(name))
                        methods[name] = found;
                }
                current = !type.BaseType.IsNil && type.BaseType.Kind == HandleKind.TypeDefinition ? (TypeDefinitionHandle)type.BaseType : null;
            }
            string className = byType[typeHandle];
            foreach ((string method, List<(string, string)> traits) in methods)
                result[className + "::" + method] = [.. traits, .. classTraits];
        }
        return result;
    }

    private static List<(string, string)> TraitsOf(MetadataReader md, CustomAttributeHandleCollection attributes)
    {
        var traits = new List<(string, string)>();
        foreach (CustomAttributeHandle handle in attributes)
        {
            CustomAttribute attribute = md.GetCustomAttribute(handle);
            if (!IsTraitAttribute(md, attribute))
                continue;
            CustomAttributeValue<object?> value = attribute.DecodeValue(StringArgumentProvider.Instance);
            if (value.FixedArguments.Length == 2 && value.FixedArguments[0].Value is string name && value.FixedArguments[1].Value is string v)
                traits.Add((name, v));
        }
        return traits;
    }

    private static bool IsTraitAttribute(MetadataReader md, CustomAttribute attribute)
    {
        EntityHandle type = attribute.Constructor.Kind switch
        {
            HandleKind.MemberReference => md.GetMemberReference((MemberReferenceHandle)attribute.Constructor).Parent,
            HandleKind.MethodDefinition => md.GetMethodDefinition((MethodDefinitionHandle)attribute.Constructor).GetDeclaringType(),
            _ => default,
        };
        return type.Kind switch
        {
            HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)type).Name) == "TraitAttribute"
                                        && md.GetString(md.GetTypeReference((TypeReferenceHandle)type).Namespace) == "Xunit",
            HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)type).Name) == "TraitAttribute",
            _ => false,
        };
    }

    /// <summary>"Namespace.Outer+Inner", as the test platform names a nested test class.</summary>
    private static string FullName(MetadataReader md, TypeDefinitionHandle handle)
    {
        TypeDefinition type = md.GetTypeDefinition(handle);
        string name = md.GetString(type.Name);
        TypeDefinitionHandle declaring = type.GetDeclaringType();
        if (!declaring.IsNil)
            return FullName(md, declaring) + "+" + name;
        string ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    /// <summary>Decodes attribute arguments well enough to read strings; other argument types decode to their kind only.</summary>
    private sealed class StringArgumentProvider : ICustomAttributeTypeProvider<object?>
    {
        public static readonly StringArgumentProvider Instance = new();

        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode;

        public object? GetSystemType() => typeof(Type);

        public object? GetSZArrayType(object? elementType) => elementType;

        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => null;

        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => null;

        public object? GetTypeFromSerializedName(string name) => name;

        public PrimitiveTypeCode GetUnderlyingEnumType(object? type) => PrimitiveTypeCode.Int32;

        public bool IsSystemType(object? type) => type is Type;
    }
}

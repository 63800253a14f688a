// Counts the public types of each library assembly (nested public types included), for the architecture's figures
// (issue 19: "public types per assembly"). Reads metadata only, so nothing is loaded or run.
//   dotnet build Csa.sln && dotnet run tools/public-types.cs [-- src/*/bin/Debug/net10.0]
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

string root = Path.GetFullPath(Path.Combine(AppContext.GetData("EntryPointFileDirectoryPath") as string ?? ".", ".."));
string configuration = args.Length > 0 ? args[0] : "Debug";
int total = 0;
foreach (string project in Directory.GetDirectories(Path.Combine(root, "src")).Order(StringComparer.Ordinal))
{
    string name = Path.GetFileName(project);
    string dll = Path.Combine(project, "bin", configuration, "net10.0", name + ".dll");
    if (name == "Csa.Cli")
        dll = Path.Combine(project, "bin", configuration, "net10.0", "csa.dll");
    if (!File.Exists(dll))
        dll = Path.Combine(project, "bin", configuration, "netstandard2.0", name + ".dll");
    if (!File.Exists(dll))
    {
        Console.WriteLine($"{name,-40} (not built)");
        continue;
    }
    using var stream = File.OpenRead(dll);
    using var pe = new PEReader(stream);
    MetadataReader md = pe.GetMetadataReader();
    int count = 0;
    foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
    {
        if (IsPublic(md, md.GetTypeDefinition(handle)))
            count++;
    }
    total += count;
    Console.WriteLine($"{name,-40} {count,4}");
}
Console.WriteLine($"{"total",-40} {total,4}");

static bool IsPublic(MetadataReader md, TypeDefinition type)
{
    TypeAttributes visibility = type.Attributes & TypeAttributes.VisibilityMask;
    if (visibility == TypeAttributes.Public)
        return true;
    if (visibility is TypeAttributes.NestedPublic or TypeAttributes.NestedFamily or TypeAttributes.NestedFamORAssem)
        return IsPublic(md, md.GetTypeDefinition(type.GetDeclaringType()));
    return false;
}

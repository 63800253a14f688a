using System.CommandLine;
using System.Reflection;

namespace Csa.Cli.Commands;

/// <summary>
/// <c>csa python-sdk DIR</c>: the SDK for Python without building anything: the SDK's assemblies and their dependencies
/// as this tool ships them (Csa.DataLink, Csa.DataLink.Bus, Csa.Rpc, Csa.Bootloader.Protocol, Csa.Bootloader, Csa.Crypto, Csa.Simulator,
/// BouncyCastle, System.IO.Ports with its native parts, ...) and the sample <c>update_device.py</c>, in one folder that
/// pythonnet loads from (<c>sys.path</c>). Written whole or not at all.
/// </summary>
internal static class PythonSdkCommand
{
    /// <summary>The SDK assemblies whose dependency closure the folder gets.</summary>
    private static readonly Assembly[] Roots =
    [
        typeof(Csa.Bootloader.Updates.DeviceNetwork).Assembly,
        typeof(Csa.Crypto.EcdsaP256Signer).Assembly,
        typeof(Csa.Simulator.VirtualBench).Assembly,
        typeof(Csa.DataLink.Bus.BusLinkSchemes).Assembly,
    ];

    public static Command Create(CliConsole console)
    {
        var directory = new Argument<string>("directory") { Description = "The folder to write (created; an existing non-empty one only with --force)" };
        var force = new Option<bool>("--force") { Description = "Replace the folder's contents" };
        var command = new Command("python-sdk", "Write the SDK's assemblies and the Python sample into a folder pythonnet loads from (no build needed)")
        {
            directory, force,
        };
        return command.WithAction(console, async (context, cancellationToken) =>
        {
            string target = Path.GetFullPath(context.ParseResult.GetValue(directory)!);
            if (File.Exists(target))
                throw CliException.File($"{target} is a file, not a folder");
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !context.ParseResult.GetValue(force))
                throw CliException.File($"{target} is not empty; --force replaces its contents");
            string? parent = Path.GetDirectoryName(target);
            if (parent is null || !Directory.Exists(parent))
                throw CliException.File($"the parent folder of {target} does not exist");

            string source = AppContext.BaseDirectory;
            List<string> assemblies = Closure(source);
            // Beside the target, then one rename: a reader never sees half a folder.
            string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
            try
            {
                Directory.CreateDirectory(staging);
                foreach (string file in assemblies)
                {
                    File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
                    string docs = Path.ChangeExtension(file, ".xml");
                    if (File.Exists(docs))
                        File.Copy(docs, Path.Combine(staging, Path.GetFileName(docs)));
                }
                // pythonnet loads from the folder itself, without the deps.json that picks a package's platform build:
                // this machine's build of each assembly (System.IO.Ports for Unix or Windows) and its native part go
                // beside the others.
                foreach (string file in PlatformFiles(source, assemblies))
                    File.Copy(file, Path.Combine(staging, Path.GetFileName(file)), overwrite: true);
                await WriteResourceAsync("update_device.py", Path.Combine(staging, "update_device.py"), cancellationToken).ConfigureAwait(false);
                await File.WriteAllTextAsync(Path.Combine(staging, "README.txt"), Readme(target), cancellationToken).ConfigureAwait(false);
                if (Directory.Exists(target))
                    Directory.Delete(target, recursive: true);
                Directory.Move(staging, target);
            }
            catch
            {
                if (Directory.Exists(staging))
                    Directory.Delete(staging, recursive: true);
                throw;
            }

            string[] names = assemblies.Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
            if (context.Json)
                context.WriteJson(new { directory = target, assemblies = names, sample = Path.Combine(target, "update_device.py") });
            else
            {
                context.WriteLine($"{target}: {names.Length} assemblies ({string.Join(", ", names.Where(n => n.StartsWith("Csa.", StringComparison.Ordinal)))} and their dependencies) and update_device.py");
                context.WriteLine($"  pip install pythonnet; python3 {Path.Combine(target, "update_device.py")} app.csai --uri tcp://127.0.0.1:5555");
            }
            return ExitCodes.Success;
        });
    }

    /// <summary>The files of the SDK assemblies and of everything they reference that sits beside this tool.</summary>
    private static List<string> Closure(string folder)
    {
        var found = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<AssemblyName>(Roots.Select(a => a.GetName()));
        while (pending.Count > 0)
        {
            AssemblyName name = pending.Pop();
            string file = Path.Combine(folder, name.Name + ".dll");
            if (name.Name is null || found.ContainsKey(name.Name) || !File.Exists(file))
                continue; // the shared framework, or already taken
            found[name.Name] = file;
            foreach (AssemblyName reference in Assembly.Load(name).GetReferencedAssemblies())
                pending.Push(reference);
        }
        return found.Values.ToList();
    }

    /// <summary>
    /// This machine's platform-specific builds of <paramref name="assemblies"/> (<c>runtimes/unix|win/lib/*/NAME.dll</c>)
    /// and their native libraries (<c>runtimes/RID/native/*NAME*</c>, e.g. libSystem.IO.Ports.Native.so).
    /// </summary>
    private static IEnumerable<string> PlatformFiles(string folder, IEnumerable<string> assemblies)
    {
        string runtimes = Path.Combine(folder, "runtimes");
        if (!Directory.Exists(runtimes))
            yield break;
        string[] names = assemblies.Select(Path.GetFileNameWithoutExtension).ToArray()!;
        string family = OperatingSystem.IsWindows() ? "win" : "unix";
        string rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        foreach (string name in names)
        {
            string? managed = Directory.Exists(Path.Combine(runtimes, family, "lib"))
                ? Directory.EnumerateFiles(Path.Combine(runtimes, family, "lib"), name + ".dll", SearchOption.AllDirectories).Order(StringComparer.Ordinal).LastOrDefault()
                : null;
            if (managed is not null)
                yield return managed;
        }
        string native = Path.Combine(runtimes, rid, "native");
        if (Directory.Exists(native))
        {
            foreach (string file in Directory.EnumerateFiles(native).Where(f => names.Any(n => Path.GetFileName(f).Contains(n, StringComparison.OrdinalIgnoreCase))))
                yield return file;
        }
    }

    private static async Task WriteResourceAsync(string name, string path, CancellationToken cancellationToken)
    {
        await using Stream resource = typeof(PythonSdkCommand).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The tool was built without its {name}.");
        await using FileStream file = File.Create(path);
        await resource.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
    }

    private static string Readme(string target) => $"""
        The Csa SDK for Python (pythonnet), written by `csa python-sdk` for this machine's platform ({System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier}).

        1. pip install pythonnet          (version 3; these assemblies need the .NET 10 runtime: DOTNET_ROOT or dotnet on PATH)
        2. python3 {Path.Combine(target, "update_device.py")} app.csai --uri tcp://127.0.0.1:5555

        In your own script, before importing Csa namespaces:

            import sys, pythonnet
            pythonnet.load("coreclr")
            sys.path.append(r"{target}")
            import clr
            for assembly in ("Csa.DataLink", "Csa.Rpc", "Csa.Bootloader.Protocol", "Csa.Bootloader", "Csa.Crypto", "Csa.Simulator"):
                clr.AddReference(assembly)

        The sample and what it shows of the SDK: samples/python/README.md of the project, and docs/updates.md section 13.
        """;
}

using System.Text;
using Csa.Fuzz.Engine;
using Csa.Rpc;
using Csa.Rpc.Tooling;

namespace Csa.Fuzz.Targets;

/// <summary>
/// The *.rpc.json interface model (docs/rpc-interfaces.md 2, 7), as the source generator, `csa rpc gen-c` and
/// RpcInterfaceValidator.Validate read it. Contract: the model parser never throws: every problem is a diagnostic with a
/// position inside the text.
/// </summary>
internal sealed class RpcJsonTarget : FuzzTarget
{
    public override string Name => "rpc-json";

    public override string Description => "RpcModelParser (through RpcInterfaceValidator.Validate) on hostile interface files";

    public override int MaxInputLength => 8192;

    public override IReadOnlyList<byte[]> Dictionary =>
        [.. new[] { "{", "}", "[", "]", ",", ":", "\"", "\\u0000", "\"name\"", "\"id\"", "\"version\"", "\"commands\"", "\"events\"", "\"types\"", "\"request\"", "\"response\"",
            "\"fields\"", "\"type\"", "\"u8\"", "\"u32\"", "\"string\"", "\"bytes\"", "\"maxLength\"", "\"length\"", "\"enum\"", "\"values\"", "\"idempotent\"", "true", "false", "null",
            "65535", "-1", "1e999", "0x10" }.Select(Encoding.UTF8.GetBytes)];

    public override IEnumerable<byte[]> Seeds()
    {
        string root = RepositoryRoot();
        foreach (string file in new[] { "src/Csa.Rpc/Interfaces/device.rpc.json", "src/Csa.Bootloader.Protocol/Interfaces/bootloader.rpc.json", "src/Csa.Bootloader.Protocol/Interfaces/provisioning.rpc.json", "src/Csa.Simulator/Interfaces/demo-app.rpc.json" })
        {
            string path = Path.Combine(root, file);
            if (File.Exists(path))
                yield return File.ReadAllBytes(path);
        }
        yield return Encoding.UTF8.GetBytes(RpcInterfaceFiles.Device);
    }

    public override int Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        IReadOnlyList<RpcInterfaceDiagnostic> diagnostics = RpcInterfaceValidator.Validate(text);
        int lines = TextLines.Count(text); // CR, LF and CR LF end a line for the model parser too
        foreach (RpcInterfaceDiagnostic d in diagnostics)
        {
            if (d.Line < 1 || d.Line > lines + 1)
                throw new ContractViolation($"diagnostic {d.Id} on line {d.Line} of a {lines}-line file");
        }
        return diagnostics.Count == 0 ? 0 : int.TryParse(diagnostics[0].Id.AsSpan(6), out int code) ? code : -1; // CSARPC001 -> 1: stable across runs
    }

    public override long AllocationBudget(int length) => 1024 * 1024 + 512L * length;

    /// <summary>The repository root (where Csa.sln is), from this assembly's folder upwards; seeds are its interface files.</summary>
    internal static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Csa.sln")))
                return dir.FullName;
        }
        return Directory.GetCurrentDirectory();
    }
}

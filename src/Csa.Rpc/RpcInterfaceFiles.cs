namespace Csa.Rpc;

/// <summary>
/// The standard interface files that ship with Csa.Rpc. Checking a file and generating C from it is design-time
/// work: see <c>Csa.Rpc.Tooling</c> (<c>RpcInterfaceValidator</c>, <c>CBindingGenerator</c>) and <c>csa rpc gen-c</c>.
/// </summary>
public static class RpcInterfaceFiles
{
    private static readonly Lazy<string> DeviceText = new(() => ReadResource("Csa.Rpc.Interfaces.device.rpc.json"));

    /// <summary>The text of <c>device.rpc.json</c>, the standard interface every node exposes (id 0x0001).</summary>
    public static string Device => DeviceText.Value;

    private static string ReadResource(string name)
    {
        using Stream stream = typeof(RpcInterfaceFiles).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The resource '{name}' is missing from {typeof(RpcInterfaceFiles).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

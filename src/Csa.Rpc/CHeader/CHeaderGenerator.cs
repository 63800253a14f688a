using Csa.Rpc.Model;

namespace Csa.Rpc.CHeader;

/// <summary>How <see cref="CHeaderGenerator"/> names things.</summary>
public sealed record CHeaderOptions
{
    /// <summary>
    /// The prefix of every C identifier (lower case; macros use it in upper case). Null takes the interface
    /// name in snake_case, e.g. <c>device</c> for interface <c>Device</c>.
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>The interface file name written into the header comment; null writes "an interface file".</summary>
    public string? SourceName { get; init; }
}

/// <summary>
/// Generates the C99 header that firmware uses for an interface: the same <c>*.rpc.json</c> the C# generator
/// reads, so host and device always agree on ids and layouts. The header has an include guard, id macros,
/// enums and error codes, one struct per message, and static inline, bounds-checked, allocation-free
/// encode/decode functions (little-endian by shifts). See docs/rpc-interfaces.md, "C header".
/// </summary>
public static class CHeaderGenerator
{
    /// <summary>Generates the header for one interface file.</summary>
    /// <param name="json">The text of the <c>*.rpc.json</c> file.</param>
    /// <param name="options">Naming options; null for the defaults.</param>
    /// <returns>The header text, with '\n' line ends.</returns>
    /// <exception cref="RpcInterfaceFormatException">The file is invalid; the exception lists every problem with its line.</exception>
    public static string Generate(string json, CHeaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        RpcInterface model = RpcInterfaceFiles.ParseOrThrow(json, options?.SourceName);
        string prefix = options?.Prefix ?? Naming.ToSnake(model.Name);
        if (!IsCIdentifierPrefix(prefix))
            throw new ArgumentException($"'{prefix}' is not usable as a C identifier prefix (lower-case ASCII letters, digits and '_', starting with a letter).", nameof(options));
        return CHeaderEmitter.Emit(model, prefix, options?.SourceName ?? "an interface file");
    }

    private static bool IsCIdentifierPrefix(string prefix)
    {
        if (prefix.Length == 0 || prefix.Length > 32 || !(prefix[0] is >= 'a' and <= 'z'))
            return false;
        foreach (char c in prefix)
        {
            if (!(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_'))
                return false;
        }

        return true;
    }
}

using Csa.Rpc.Model;

namespace Csa.Rpc.Tooling;

/// <summary>How <see cref="CBindingGenerator"/> names things.</summary>
public sealed record CBindingOptions
{
    /// <summary>
    /// The prefix of every C identifier (lower case; macros use it in upper case). Null takes the interface name in
    /// snake_case, e.g. <c>device</c> for interface <c>Device</c>.
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>
    /// The interface file name: written into the comments, and its name without <c>.rpc.json</c> names the output
    /// files (<c>device.rpc.json</c> gives <c>device.rpc.h</c>, ...). Null uses the prefix.
    /// </summary>
    public string? SourceName { get; init; }
}

/// <summary>One generated file.</summary>
/// <param name="FileName">The file name (no folder).</param>
/// <param name="Text">The file's text, with '\n' line ends.</param>
public sealed record CGeneratedFile(string FileName, string Text);

/// <summary>The complete C binding of one interface.</summary>
/// <param name="Prefix">The identifier prefix used.</param>
/// <param name="Header">
/// <c>NAME.rpc.h</c>: ids, error codes, enums, structs and bounds-checked encode/decode; self-contained (no dependency on
/// the Csa C stack), usable with any firmware.
/// </param>
/// <param name="BindingHeader">
/// <c>NAME.rpc.binding.h</c>: handler prototypes and table, the interface descriptor, deferred answers, event emitters,
/// client stubs and event decoding, on the Csa C stack (firmware/core).
/// </param>
/// <param name="BindingSource"><c>NAME.rpc.binding.c</c>: the dispatch function, command and message tables, stubs.</param>
public sealed record CBinding(string Prefix, CGeneratedFile Header, CGeneratedFile BindingHeader, CGeneratedFile BindingSource)
{
    /// <summary>The three files, header first.</summary>
    public IReadOnlyList<CGeneratedFile> Files => [Header, BindingHeader, BindingSource];
}

/// <summary>
/// Generates the C binding of an interface from the same <c>*.rpc.json</c> the C# generator reads, so host and device
/// always agree on ids, layouts and errors (docs/rpc-interfaces.md section 5). This is what <c>csa rpc gen-c</c> and
/// the firmware build (firmware/CMakeLists.txt) run.
/// </summary>
public static class CBindingGenerator
{
    /// <summary>Generates the three files of one interface.</summary>
    /// <param name="json">The text of the <c>*.rpc.json</c> file.</param>
    /// <param name="options">Naming options; null for the defaults.</param>
    /// <returns>The files.</returns>
    /// <exception cref="RpcInterfaceFormatException">The file is invalid; the exception lists every problem with its line.</exception>
    /// <exception cref="ArgumentException">The prefix is not usable in C identifiers.</exception>
    public static CBinding Generate(string json, CBindingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        RpcInterface model = RpcInterfaceValidator.ParseOrThrow(json, options?.SourceName);
        string prefix = options?.Prefix ?? Naming.ToSnake(model.Name);
        if (!IsCIdentifierPrefix(prefix))
            throw new ArgumentException($"'{prefix}' is not usable as a C identifier prefix (lower-case ASCII letters, digits and '_', starting with a letter, at most 32).", nameof(options));
        string sourceName = options?.SourceName ?? "an interface file";
        string baseName = BaseName(options?.SourceName) ?? prefix;
        string header = $"{baseName}.rpc.h";
        string bindingHeader = $"{baseName}.rpc.binding.h";
        (string bindingHeaderText, string bindingSourceText) = CBindingEmitter.Emit(model, prefix, sourceName, header, bindingHeader);
        return new CBinding(
            prefix,
            new CGeneratedFile(header, CHeaderEmitter.Emit(model, prefix, sourceName)),
            new CGeneratedFile(bindingHeader, bindingHeaderText),
            new CGeneratedFile($"{baseName}.rpc.binding.c", bindingSourceText));
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

    /// <summary>The file name without folder and without <c>.rpc.json</c> (or <c>.json</c>); null when there is none.</summary>
    private static string? BaseName(string? sourceName)
    {
        if (string.IsNullOrWhiteSpace(sourceName))
            return null;
        string name = Path.GetFileName(sourceName);
        foreach (string suffix in new[] { ".rpc.json", ".json" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && name.Length > suffix.Length)
                return name[..^suffix.Length];
        }

        return name;
    }
}

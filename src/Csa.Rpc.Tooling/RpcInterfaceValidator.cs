using Csa.Rpc.Model;

namespace Csa.Rpc.Tooling;

/// <summary>
/// Checks <c>*.rpc.json</c> interface files with the same rules the source generator applies (the same parser, shared
/// as source), so a tool reports the problems a build would.
/// </summary>
public static class RpcInterfaceValidator
{
    /// <summary>Checks an interface file.</summary>
    /// <param name="json">The file's text.</param>
    /// <returns>Every problem found, in file order of discovery; empty when the file is valid.</returns>
    public static IReadOnlyList<RpcInterfaceDiagnostic> Validate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Convert(RpcModelParser.Parse(json).Diagnostics);
    }

    internal static RpcInterface ParseOrThrow(string json, string? sourceName)
    {
        RpcParseResult result = RpcModelParser.Parse(json);
        if (result.Interface is null)
        {
            IReadOnlyList<RpcInterfaceDiagnostic> diagnostics = Convert(result.Diagnostics);
            string where = sourceName ?? "The interface file";
            string first = diagnostics.Count > 0 ? diagnostics[0].ToString() : "unknown problem";
            throw new RpcInterfaceFormatException($"{where} is invalid ({diagnostics.Count} problem(s)); first: {first}", diagnostics);
        }

        return result.Interface;
    }

    private static List<RpcInterfaceDiagnostic> Convert(IReadOnlyList<ModelDiagnostic> diagnostics)
    {
        var list = new List<RpcInterfaceDiagnostic>(diagnostics.Count);
        foreach (ModelDiagnostic d in diagnostics)
            list.Add(new RpcInterfaceDiagnostic(d.Id, d.Message, d.Line + 1, d.Column + 1));
        return list;
    }
}

/// <summary>One problem in an interface file.</summary>
/// <param name="Id">The diagnostic id, CSARPC001..CSARPC999 (docs/rpc-interfaces.md lists them).</param>
/// <param name="Message">What is wrong.</param>
/// <param name="Line">The one-based line; 0 when the problem has no position.</param>
/// <param name="Column">The one-based column; 0 when the problem has no position.</param>
public sealed record RpcInterfaceDiagnostic(string Id, string Message, int Line, int Column)
{
    /// <summary>The compiler form: "(line,column): id: message".</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"({Line},{Column}): {Id}: {Message}";
}

/// <summary>An interface file is invalid.</summary>
public sealed class RpcInterfaceFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">A summary.</param>
    /// <param name="diagnostics">Every problem found.</param>
    public RpcInterfaceFormatException(string message, IReadOnlyList<RpcInterfaceDiagnostic> diagnostics)
        : base(message)
    {
        Diagnostics = diagnostics;
    }

    /// <summary>Every problem found, with its line and column.</summary>
    public IReadOnlyList<RpcInterfaceDiagnostic> Diagnostics { get; }
}

using Csa.Rpc.Model.Json;

namespace Csa.Rpc.Model;

/// <summary>The ids of the problems an interface file can have. Documented in docs/rpc-interfaces.md.</summary>
internal static class ModelDiagnosticIds
{
    public const string InvalidJson = "CSARPC001";
    public const string MissingProperty = "CSARPC002";
    public const string WrongValueKind = "CSARPC003";
    public const string UnknownProperty = "CSARPC004";
    public const string DuplicateId = "CSARPC005";
    public const string DuplicateName = "CSARPC006";
    public const string UnknownType = "CSARPC007";
    public const string BadLength = "CSARPC008";
    public const string OutOfRange = "CSARPC009";
    public const string InvalidName = "CSARPC010";
    public const string UnknownError = "CSARPC011";
    public const string StructCycle = "CSARPC012";
    public const string DuplicateInterface = "CSARPC013";
    public const string InternalError = "CSARPC999";
}

/// <summary>One problem found in an interface file, with where it is.</summary>
internal sealed class ModelDiagnostic
{
    public ModelDiagnostic(string id, string message, TextRange range, int line, int column)
    {
        Id = id;
        Message = message;
        Range = range;
        Line = line;
        Column = column;
    }

    public string Id { get; }

    public string Message { get; }

    public TextRange Range { get; }

    /// <summary>Zero-based line.</summary>
    public int Line { get; }

    /// <summary>Zero-based column.</summary>
    public int Column { get; }

    /// <summary>The usual compiler form: "(line,column): id: message" with one-based positions.</summary>
    public override string ToString() => $"({Line + 1},{Column + 1}): {Id}: {Message}";
}

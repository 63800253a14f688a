using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Csa.Rpc.Model;

namespace Csa.Rpc.Generator;

/// <summary>The compiler diagnostics the generator reports; the ids are documented in docs/rpc-interfaces.md.</summary>
internal static class RpcDiagnostics
{
    private const string Category = "Csa.Rpc";

    public const string DuplicateInterfaceIdId = "CSARPC014";

    public static readonly DiagnosticDescriptor InvalidJson = Error(ModelDiagnosticIds.InvalidJson, "Interface file is not valid JSON");
    public static readonly DiagnosticDescriptor MissingProperty = Error(ModelDiagnosticIds.MissingProperty, "Required property missing");
    public static readonly DiagnosticDescriptor WrongValueKind = Error(ModelDiagnosticIds.WrongValueKind, "Property has the wrong JSON type");
    public static readonly DiagnosticDescriptor UnknownProperty = Error(ModelDiagnosticIds.UnknownProperty, "Unknown property");
    public static readonly DiagnosticDescriptor DuplicateId = Error(ModelDiagnosticIds.DuplicateId, "Duplicate id or value");
    public static readonly DiagnosticDescriptor DuplicateName = Error(ModelDiagnosticIds.DuplicateName, "Duplicate name");
    public static readonly DiagnosticDescriptor UnknownType = Error(ModelDiagnosticIds.UnknownType, "Unknown type");
    public static readonly DiagnosticDescriptor BadLength = Error(ModelDiagnosticIds.BadLength, "Bad length, count or size");
    public static readonly DiagnosticDescriptor OutOfRange = Error(ModelDiagnosticIds.OutOfRange, "Value out of range");
    public static readonly DiagnosticDescriptor InvalidName = Error(ModelDiagnosticIds.InvalidName, "Invalid or reserved name");
    public static readonly DiagnosticDescriptor UnknownError = Error(ModelDiagnosticIds.UnknownError, "Unknown error name");
    public static readonly DiagnosticDescriptor StructCycle = Error(ModelDiagnosticIds.StructCycle, "Struct contains itself");
    public static readonly DiagnosticDescriptor DuplicateInterface = Error(ModelDiagnosticIds.DuplicateInterface, "Interface defined twice");
    public static readonly DiagnosticDescriptor DuplicateInterfaceId = new(
        DuplicateInterfaceIdId, "Interface id used twice", "{0}", Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);
    public static readonly DiagnosticDescriptor InternalError = Error(ModelDiagnosticIds.InternalError, "Internal error in the RPC generator");

    public static DiagnosticDescriptor ForId(string id) => id switch
    {
        ModelDiagnosticIds.InvalidJson => InvalidJson,
        ModelDiagnosticIds.MissingProperty => MissingProperty,
        ModelDiagnosticIds.WrongValueKind => WrongValueKind,
        ModelDiagnosticIds.UnknownProperty => UnknownProperty,
        ModelDiagnosticIds.DuplicateId => DuplicateId,
        ModelDiagnosticIds.DuplicateName => DuplicateName,
        ModelDiagnosticIds.UnknownType => UnknownType,
        ModelDiagnosticIds.BadLength => BadLength,
        ModelDiagnosticIds.OutOfRange => OutOfRange,
        ModelDiagnosticIds.InvalidName => InvalidName,
        ModelDiagnosticIds.UnknownError => UnknownError,
        ModelDiagnosticIds.StructCycle => StructCycle,
        ModelDiagnosticIds.DuplicateInterface => DuplicateInterface,
        DuplicateInterfaceIdId => DuplicateInterfaceId,
        _ => InternalError,
    };

    private static DiagnosticDescriptor Error(string id, string title) =>
        new(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}

/// <summary>A diagnostic as plain equatable data (a <see cref="Diagnostic"/> must not flow through the pipeline).</summary>
internal sealed class DiagnosticInfo : IEquatable<DiagnosticInfo>
{
    public DiagnosticInfo(string id, string message, string path, TextSpan span, LinePositionSpan lines)
    {
        Id = id;
        Message = message;
        Path = path;
        Span = span;
        Lines = lines;
    }

    public string Id { get; }

    public string Message { get; }

    public string Path { get; }

    public TextSpan Span { get; }

    public LinePositionSpan Lines { get; }

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(RpcDiagnostics.ForId(Id), Location.Create(Path, Span, Lines), Message);

    public bool Equals(DiagnosticInfo? other) =>
        other is not null && Id == other.Id && Message == other.Message && Path == other.Path && Span == other.Span && Lines == other.Lines;

    public override bool Equals(object? obj) => Equals(obj as DiagnosticInfo);

    public override int GetHashCode() => unchecked((Id.GetHashCode() * 31) + Span.GetHashCode());
}

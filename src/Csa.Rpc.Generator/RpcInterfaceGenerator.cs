using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Text;
using System.Threading;
using Csa.Rpc.Generator.Emit;
using Csa.Rpc.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Csa.Rpc.Generator;

/// <summary>
/// Turns every <c>*.rpc.json</c> AdditionalFile into typed C#: message records, enums, error codes, a
/// client, a server base and id constants. Each file is parsed and emitted on its own pipeline branch, so
/// an edit to C# code or to another interface file reuses the cached output.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class RpcInterfaceGenerator : IIncrementalGenerator
{
    /// <summary>The tracking name of the per-file parse-and-emit step (tests assert it is cached).</summary>
    public const string BuildStepName = "CsaRpcInterface";

    /// <summary>The namespace used when neither the file nor the project names one.</summary>
    public const string FallbackNamespace = "Csa.Rpc.Generated";

    private static readonly string ToolVersion = typeof(RpcInterfaceGenerator).Assembly.GetName().Version?.ToString() ?? "0.0.0.0";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValueProvider<string?> rootNamespace = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            options.GlobalOptions.TryGetValue("build_property.RootNamespace", out string? value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null);

        IncrementalValuesProvider<InterfaceOutput> outputs = context.AdditionalTextsProvider
            .Where(static file => file.Path.EndsWith(".rpc.json", StringComparison.OrdinalIgnoreCase))
            .Combine(rootNamespace)
            .Select(static (pair, cancellationToken) => Build(pair.Left, pair.Right, cancellationToken))
            .WithTrackingName(BuildStepName);

        context.RegisterSourceOutput(outputs.Collect(), static (production, all) => Produce(production, all));
    }

    private static InterfaceOutput Build(AdditionalText file, string? rootNamespace, CancellationToken cancellationToken)
    {
        string fileName = FileName(file.Path);
        SourceText? text = null;
        try
        {
            text = file.GetText(cancellationToken);
            if (text is null)
                return InterfaceOutput.Failed(file.Path, fileName, Info(ModelDiagnosticIds.InvalidJson, $"The interface file '{file.Path}' could not be read.", file.Path, null, default));

            RpcParseResult result = RpcModelParser.Parse(text.ToString());
            var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
            foreach (ModelDiagnostic d in result.Diagnostics)
                diagnostics.Add(Info(d.Id, d.Message, file.Path, text, new TextSpan(d.Range.Start, d.Range.Length)));
            RpcInterface? model = result.Interface;
            if (model is null)
            {
                // Stand-ins keep the project's uses of the interface from burying the file's error under CS0246.
                string? stub = StubEmitter.Emit(text.ToString(), rootNamespace, FallbackNamespace, fileName);
                return new InterfaceOutput(file.Path, fileName, null, null, 0, null, new EquatableArray<DiagnosticInfo>(diagnostics.ToImmutable()), stub);
            }

            cancellationToken.ThrowIfCancellationRequested();
            string ns = model.Namespace ?? rootNamespace ?? FallbackNamespace;
            string source = CSharpEmitter.Emit(model, ns, fileName, ToolVersion);
            return new InterfaceOutput(file.Path, fileName, ns + "." + model.Name, model.Name, model.Id, source, new EquatableArray<DiagnosticInfo>(diagnostics.ToImmutable()));
        }
        catch (OperationCanceledException)
        {
            throw;
        }
#pragma warning disable CA1031 // Whatever goes wrong must become a diagnostic, never a crashed build.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return InterfaceOutput.Failed(file.Path, fileName, Info(ModelDiagnosticIds.InternalError, $"Internal error in the RPC generator for '{fileName}': {ex.GetType().Name}: {ex.Message}", file.Path, text, new TextSpan(0, 0)));
        }
    }

    private static void Produce(SourceProductionContext production, ImmutableArray<InterfaceOutput> all)
    {
        try
        {
            var byName = new Dictionary<string, InterfaceOutput>(StringComparer.Ordinal);
            var byId = new Dictionary<ushort, InterfaceOutput>();
            var hintNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (InterfaceOutput output in all)
            {
                foreach (DiagnosticInfo info in output.Diagnostics)
                    production.ReportDiagnostic(info.ToDiagnostic());
                if (output.Stub is not null)
                {
                    string stem = output.FileName.Substring(0, output.FileName.Length - ".rpc.json".Length);
                    string stubHint = stem + ".stub.rpc.g.cs";
                    for (int n = 2; !hintNames.Add(stubHint); n++)
                        stubHint = $"{stem}.{n}.stub.rpc.g.cs";
                    production.AddSource(stubHint, SourceText.From(output.Stub, Encoding.UTF8));
                }
                if (output.Source is null || output.QualifiedName is null)
                    continue;

                if (byName.TryGetValue(output.QualifiedName, out InterfaceOutput? first))
                {
                    production.ReportDiagnostic(Diagnostic.Create(RpcDiagnostics.DuplicateInterface, Location.Create(output.Path, default, default),
                        $"Interface '{output.QualifiedName}' is defined by both '{first.FileName}' and '{output.FileName}'; the second is ignored."));
                    continue;
                }

                byName[output.QualifiedName] = output;
                if (byId.TryGetValue(output.InterfaceId, out InterfaceOutput? sameId))
                {
                    production.ReportDiagnostic(Diagnostic.Create(RpcDiagnostics.DuplicateInterfaceId, Location.Create(output.Path, default, default),
                        $"Interfaces '{sameId.InterfaceName}' ({sameId.FileName}) and '{output.InterfaceName}' ({output.FileName}) both have the id 0x{output.InterfaceId:X4}; one RPC server cannot host both."));
                }
                else
                {
                    byId[output.InterfaceId] = output;
                }

                string hint = output.InterfaceName + ".rpc.g.cs";
                for (int n = 2; !hintNames.Add(hint); n++)
                    hint = $"{output.InterfaceName}.{n}.rpc.g.cs";
                production.AddSource(hint, SourceText.From(output.Source, Encoding.UTF8));
            }
        }
        catch (OperationCanceledException)
        {
            throw;
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            production.ReportDiagnostic(Diagnostic.Create(RpcDiagnostics.InternalError, Location.None, $"Internal error in the RPC generator: {ex.GetType().Name}: {ex.Message}"));
        }
    }

    private static DiagnosticInfo Info(string id, string message, string path, SourceText? text, TextSpan span)
    {
        if (text is not null && span.End > text.Length)
            span = new TextSpan(Math.Min(span.Start, text.Length), 0);
        LinePositionSpan lines = text is null ? default : text.Lines.GetLinePositionSpan(span);
        return new DiagnosticInfo(id, message, path, span, lines);
    }

    private static string FileName(string path)
    {
        int slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        return slash < 0 ? path : path.Substring(slash + 1);
    }

    /// <summary>What one interface file produced: generated source or the reasons there is none.</summary>
    private sealed class InterfaceOutput : IEquatable<InterfaceOutput>
    {
        public InterfaceOutput(string path, string fileName, string? qualifiedName, string? interfaceName, ushort interfaceId, string? source, EquatableArray<DiagnosticInfo> diagnostics,
            string? stub = null)
        {
            Stub = stub;
            Path = path;
            FileName = fileName;
            QualifiedName = qualifiedName;
            InterfaceName = interfaceName;
            InterfaceId = interfaceId;
            Source = source;
            Diagnostics = diagnostics;
        }

        public string Path { get; }

        public string FileName { get; }

        public string? QualifiedName { get; }

        public string? InterfaceName { get; }

        public ushort InterfaceId { get; }

        public string? Source { get; }

        public EquatableArray<DiagnosticInfo> Diagnostics { get; }

        /// <summary>The stand-ins of a file with errors (<see cref="StubEmitter"/>); null otherwise.</summary>
        public string? Stub { get; }

        public static InterfaceOutput Failed(string path, string fileName, DiagnosticInfo diagnostic) =>
            new(path, fileName, null, null, 0, null, new EquatableArray<DiagnosticInfo>(ImmutableArray.Create(diagnostic)));

        public bool Equals(InterfaceOutput? other) =>
            other is not null && Path == other.Path && QualifiedName == other.QualifiedName && InterfaceId == other.InterfaceId
            && Source == other.Source && Stub == other.Stub && Diagnostics.Equals(other.Diagnostics);

        public override bool Equals(object? obj) => Equals(obj as InterfaceOutput);

        public override int GetHashCode() => unchecked((Path.GetHashCode() * 31) + (Source?.Length ?? 0));
    }
}

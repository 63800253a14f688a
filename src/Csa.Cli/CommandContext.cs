using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Spectre.Console;

namespace Csa.Cli;

/// <summary>
/// What a command's action works with: the console, the global options, logging. One per invocation.
/// </summary>
internal sealed class CommandContext : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        // Scripts read this, not browsers: keep '+' in versions and non-ASCII names readable instead of \uXXXX.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly ILoggerFactory? _ownedLoggerFactory;

    public CommandContext(CliConsole console, ParseResult parseResult)
    {
        Console = console;
        ParseResult = parseResult;
        Json = parseResult.GetValue(GlobalOptions.Json);
        Verbose = parseResult.GetValue(GlobalOptions.Verbose);
        if (Verbose)
        {
            TextWriter error = console.Error;
            _ownedLoggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
                .SetMinimumLevel(LogLevel.Debug)
                .AddProvider(new TextWriterLoggerProvider(error)));
        }
        LoggerFactory = _ownedLoggerFactory ?? NullLoggerFactory.Instance;
    }

    /// <summary>The console.</summary>
    public CliConsole Console { get; }

    /// <summary>The parsed command line.</summary>
    public ParseResult ParseResult { get; }

    /// <summary>--json was given: write exactly one JSON document with <see cref="WriteJson(object)"/>, nothing else on stdout.</summary>
    public bool Json { get; }

    /// <summary>--verbose was given.</summary>
    public bool Verbose { get; }

    /// <summary>
    /// How often a transferring device gets a progress line when the output is not a terminal: 5 s, or the duration in
    /// <c>CSA_PROGRESS_INTERVAL</c> (<c>2s</c>, <c>500ms</c>).
    /// </summary>
    public TimeSpan ProgressInterval =>
        CliEnvironment.Get("CSA_PROGRESS_INTERVAL") is { Length: > 0 } text
            ? Devices.DeviceOptions.ParseDuration(text, "CSA_PROGRESS_INTERVAL")
            : Devices.ProgressLines.DefaultInterval;

    /// <summary>Logging for the SDK: silent unless --verbose.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Rich output (tables, progress); use only when <see cref="Json"/> is false.</summary>
    public IAnsiConsole Out => Console.Out;

    private object? _document;
    private bool _streamed;
    private (string Message, IReadOnlyList<DeviceErrorJson>? Devices)? _failure;

    /// <summary>True once the command gave its JSON document.</summary>
    public bool WroteJson => _document is not null || _streamed;

    /// <summary>
    /// Gives <paramref name="document"/> as the command's JSON output (camelCase, enums as strings). It is written when
    /// the command ends, so that a command that then fails still prints one document: its own, with
    /// <c>succeeded: false</c>, <c>exitCode</c> and <c>error</c> added (<see cref="Finish"/>).
    /// </summary>
    public void WriteJson(object document)
    {
        if (WroteJson)
            throw new InvalidOperationException("A command writes one JSON document.");
        _document = document;
    }

    /// <summary>
    /// Writes <paramref name="document"/> at once, for a command that keeps running after it (csa sim tells other
    /// programs its endpoints this way); a later failure then adds nothing to standard output.
    /// </summary>
    public void WriteJsonNow(object document)
    {
        if (WroteJson)
            throw new InvalidOperationException("A command writes one JSON document.");
        WriteJson(Console.OutWriter, document);
        _streamed = true;
    }

    /// <summary>
    /// Says why a command that returns a non-zero exit code without throwing failed (e.g. some devices of a batch),
    /// for the <c>error</c> of its JSON document.
    /// </summary>
    public void SetFailure(string message, IReadOnlyList<DeviceErrorJson>? devices = null) => _failure = (message, devices);

    /// <summary>
    /// Ends the command's standard output: with --json, exactly one document. On success the command's own; on
    /// failure the command's own with <c>succeeded: false</c>, <c>exitCode</c> and <c>error</c> set, or, when it wrote
    /// none, an <see cref="ErrorDocument"/>.
    /// </summary>
    public void Finish(int exitCode, Exception? exception)
    {
        if (!Json || _streamed)
            return;
        if (exitCode == ExitCodes.Success && exception is null)
        {
            if (_document is not null)
                WriteJson(Console.OutWriter, _document);
            return;
        }

        ErrorJson error = exception is not null
            ? ErrorDocument.ErrorOf(exception)
            : new ErrorJson(ExitCodes.NameOf(exitCode), _failure?.Message ?? $"the command ended with exit code {exitCode} ({ExitCodes.NameOf(exitCode)})", _failure?.Devices);
        if (_document is null)
        {
            WriteJson(Console.OutWriter, new ErrorDocument(false, exitCode, error));
            return;
        }

        JsonObject merged = JsonSerializer.SerializeToNode(_document, _document.GetType(), s_json) as JsonObject
            ?? throw new InvalidOperationException("A command's JSON document is an object.");
        merged["succeeded"] = false;
        merged["exitCode"] = exitCode;
        merged["error"] = JsonSerializer.SerializeToNode(error, s_json);
        WriteJson(Console.OutWriter, merged);
    }

    /// <summary>Writes <paramref name="document"/> to <paramref name="output"/> the way every --json document is written.</summary>
    public static void WriteJson(TextWriter output, object document)
    {
        output.WriteLine(JsonSerializer.Serialize(document, document.GetType(), s_json));
        output.Flush();
    }

    /// <summary>A plain line on standard output (not in --json mode).</summary>
    public void WriteLine(string text) => Console.Out.WriteLine(text);

    /// <summary>A warning on standard error (never mixed into --json output).</summary>
    public void Warn(string text) => Console.Error.WriteLine($"csa: warning: {text}");

    public void Dispose() => _ownedLoggerFactory?.Dispose();
}

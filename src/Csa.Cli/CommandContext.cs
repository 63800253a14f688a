using System.CommandLine;
using System.Text.Json;
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
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // "1.0.0+0", not "1.0.0\u002B0": read by people too
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

    /// <summary>--json was given: write exactly one JSON document with <see cref="WriteJson"/>, nothing else on stdout.</summary>
    public bool Json { get; }

    /// <summary>--verbose was given.</summary>
    public bool Verbose { get; }

    /// <summary>Logging for the SDK: silent unless --verbose.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Rich output (tables, progress); use only when <see cref="Json"/> is false.</summary>
    public IAnsiConsole Out => Console.Out;

    /// <summary>Writes <paramref name="document"/> as the command's JSON output (camelCase, enums as strings).</summary>
    public void WriteJson(object document)
    {
        Console.OutWriter.WriteLine(JsonSerializer.Serialize(document, document.GetType(), s_json));
        Console.OutWriter.Flush();
    }

    /// <summary>A plain line on standard output (not in --json mode).</summary>
    public void WriteLine(string text) => Console.Out.WriteLine(text);

    /// <summary>A warning on standard error (never mixed into --json output).</summary>
    public void Warn(string text) => Console.Error.WriteLine($"csa: warning: {text}");

    public void Dispose() => _ownedLoggerFactory?.Dispose();
}

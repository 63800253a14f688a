using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Csa.Cli.Commands;

namespace Csa.Cli;

/// <summary>The csa tool: builds the command tree, parses, runs one command, and returns its exit code.</summary>
internal static partial class CsaApp
{
    /// <summary>Runs the tool with <paramref name="args"/> on <paramref name="console"/>.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="console">Where output goes.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C in the process; tests pass their own).</param>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        // --link i2c:... and spi:... (docs/transports.md section 7.8).
        DataLink.Bus.BusLinkSchemes.Register();
        RootCommand root = BuildRoot(console);
        ParseResult parseResult = root.Parse(args);

        // A wrong command line gets one clear line and exit 2, not the parser's help dump. Asking for help is never
        // wrong: 'csa update --help' shows the help although the image argument is missing.
        bool helpAsked = parseResult.Action is { } action && ReferenceEquals(action, root.Options.OfType<System.CommandLine.Help.HelpOption>().Single().Action);
        if (parseResult.Errors.Count > 0 && !helpAsked)
        {
            // "Unrecognized command or argument 'x'" says more than the "Required command was not provided" the
            // parser reports first for 'csa bogus'.
            ParseError first = parseResult.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parseResult.Errors[0];
            string where = parseResult.CommandResult.Command is RootCommand ? "csa" : $"csa {CommandPath(parseResult.CommandResult)}";
            string message = DidYouMean.Describe(parseResult, args) ?? DescribeParseError(first.Message);
            if (WantsJson(parseResult, args))
                CommandContext.WriteJson(console.OutWriter, ErrorDocument.Usage(message));
            await console.Error.WriteLineAsync($"csa: error: {message} (see '{where} --help')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var configuration = new InvocationConfiguration
        {
            Output = console.OutWriter,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            // Only what escapes a command's own handler lands here (CliAction writes the document otherwise).
            if (WantsJson(parseResult, args))
                CommandContext.WriteJson(console.OutWriter, ErrorDocument.From(exception));
            return ErrorReporter.Report(exception, console.Error, parseResult.GetValue(GlobalOptions.Verbose));
        }
    }

    /// <summary>--json was asked for, also on a command line the parser refused (then --json may not have been bound).</summary>
    private static bool WantsJson(ParseResult parseResult, string[] args)
    {
        try
        {
            if (parseResult.GetValue(GlobalOptions.Json))
                return true;
        }
        catch (InvalidOperationException)
        {
            // The parse failed in a way that leaves the option unreadable: fall back to the raw tokens.
        }
        return args.TakeWhile(a => a != "--").Any(a => a == "--json");
    }

    /// <summary>The whole command tree.</summary>
    public static RootCommand BuildRoot(CliConsole console)
    {
        var root = new RootCommand("csa: install, update and protect firmware on STM32F4/L4 devices running the Csa secure bootloader, and simulate such devices.");
        root.Options.Add(GlobalOptions.Json);
        root.Options.Add(GlobalOptions.Verbose);
        foreach (Command command in CommandCatalog.Create(console))
            root.Subcommands.Add(command);
        DocsHelp.Attach(root);
        return root;
    }

    /// <summary>
    /// A parser message as one line for a user: what kind of value an option takes instead of a .NET type name (the
    /// parser says "expected type 'System.Nullable`1[System.Int32]'" for an optional whole number).
    /// </summary>
    internal static string DescribeParseError(string message) =>
        ExpectedType().Replace(
            string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
            m => m.Groups["type"].Value switch
            {
                string t when t.Contains("Boolean", StringComparison.Ordinal) => "true or false",
                string t when t.Contains("Double", StringComparison.Ordinal) || t.Contains("Single", StringComparison.Ordinal) || t.Contains("Decimal", StringComparison.Ordinal) => "a number",
                string t when t.Contains("UInt", StringComparison.Ordinal) || t.Contains("Byte", StringComparison.Ordinal) => "a whole number, 0 or more",
                string t when t.Contains("Int", StringComparison.Ordinal) => "a whole number",
                string t when t.Contains("TimeSpan", StringComparison.Ordinal) => "a duration",
                _ => "a value of the kind the option takes (see --help)",
            });

    [GeneratedRegex(@"expected type '(?<type>[^']+)'")]
    private static partial Regex ExpectedType();

    private static string CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? current = result; current is CommandResult command && command.Command is not RootCommand; current = current.Parent)
            names.Push(command.Command.Name);
        return string.Join(' ', names);
    }
}

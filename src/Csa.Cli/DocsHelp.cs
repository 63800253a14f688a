using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Csa.Cli;

/// <summary>
/// Help that says where the documentation is: every <c>--help</c> ends with the online page of the command (docs/cli.md
/// of the project's home, <c>CsaProjectUrl</c> in Directory.Build.props) and how to get shell completion.
/// </summary>
internal static class DocsHelp
{
    /// <summary>The project's home page, as the build named it.</summary>
    public static string ProjectUrl { get; } =
        typeof(DocsHelp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "CsaProjectUrl")?.Value is { Length: > 0 } url
            ? url.TrimEnd('/')
            : "https://github.com/csa-sdk/csa";

    /// <summary>The online page of the tool's reference.</summary>
    public static string CliReference => $"{ProjectUrl}/blob/main/docs/cli.md";

    /// <summary>Makes the help option of <paramref name="root"/> (and so of every command) end with the documentation lines.</summary>
    public static void Attach(RootCommand root)
    {
        HelpOption help = root.Options.OfType<HelpOption>().Single();
        if (help.Action is HelpAction inner)
            help.Action = new WithDocs(inner);
    }

    private sealed class WithDocs(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            int code = inner.Invoke(parseResult);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            string command = string.Join(' ', Names(parseResult.CommandResult.Command, parseResult));
            output.WriteLine("Documentation:");
            output.WriteLine($"  {CliReference}{(command.Length == 0 ? "" : $" (section 'csa {command}'; exit codes, --json shapes and examples there)")}");
            if (command.Length == 0)
                output.WriteLine($"  Shell completion: {CliReference}#shell-completion");
            output.WriteLine();
            return code;
        }

        private static IEnumerable<string> Names(Command command, ParseResult parseResult)
        {
            var names = new Stack<string>();
            for (System.CommandLine.Parsing.SymbolResult? current = parseResult.CommandResult; current is System.CommandLine.Parsing.CommandResult result && result.Command is not RootCommand; current = current.Parent)
                names.Push(result.Command.Name);
            _ = command;
            return names;
        }
    }
}

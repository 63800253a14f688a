using System.CommandLine;

namespace Csa.Cli;

/// <summary>
/// Attaches an action to a command so that every command behaves alike: it gets a <see cref="CommandContext"/>,
/// and anything it throws becomes one line on standard error and a documented exit code (and, with --json, an
/// <see cref="ErrorDocument"/> on standard output).
/// </summary>
internal static class CliAction
{
    /// <summary>Sets <paramref name="action"/> as <paramref name="command"/>'s action.</summary>
    public static Command WithAction(this Command command, CliConsole console, Func<CommandContext, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            using var context = new CommandContext(console, parseResult);
            int code;
            try
            {
                code = await action(context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                // With --json a script reads stdout: it gets one document whatever happened.
                context.Finish(ErrorReporter.Describe(exception).ExitCode, exception);
                return ErrorReporter.Report(exception, console.Error, context.Verbose);
            }
            context.Finish(code, null);
            return code;
        });
        return command;
    }
}

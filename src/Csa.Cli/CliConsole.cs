using Spectre.Console;

namespace Csa.Cli;

/// <summary>
/// Where the tool writes: rich output (tables, progress bars) to <see cref="Out"/>, one-line errors and logs to
/// <see cref="Error"/>. Tests build one over string writers; the process uses the real terminal.
/// </summary>
internal sealed class CliConsole
{
    private CliConsole(IAnsiConsole output, TextWriter outWriter, TextWriter error, bool isInteractive)
    {
        Out = output;
        OutWriter = outWriter;
        Error = error;
        IsInteractive = isInteractive;
    }

    /// <summary>Rich output: tables, progress bars, markup. Never used for --json documents.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>The raw standard output: --json documents go here, one per command, nothing else beside them.</summary>
    public TextWriter OutWriter { get; }

    /// <summary>Errors (one line each) and --verbose logs.</summary>
    public TextWriter Error { get; }

    /// <summary>True on a terminal: live progress bars make sense. False when redirected (CI logs, pipes, tests).</summary>
    public bool IsInteractive { get; }

    /// <summary>The process's own standard output and error.</summary>
    public static CliConsole FromProcess()
    {
        bool interactive = !Console.IsOutputRedirected;
        IAnsiConsole ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
        });
        if (!interactive)
            ansi.Profile.Width = 160; // redirected output has no width; Spectre's 80 columns would wrap every unique id in CI logs
        return new CliConsole(ansi, Console.Out, Console.Error, interactive);
    }

    /// <summary>A console over writers (tests, embedding): no colours, no live rendering, a wide fixed width.</summary>
    public static CliConsole FromWriters(TextWriter output, TextWriter error)
    {
        IAnsiConsole ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        ansi.Profile.Width = 160;
        return new CliConsole(ansi, output, error, isInteractive: false);
    }
}

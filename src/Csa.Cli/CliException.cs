namespace Csa.Cli;

/// <summary>
/// An error the tool reports as one line with a chosen exit code. Commands throw it for problems they detect
/// themselves; domain exceptions from the SDK are mapped by <see cref="ErrorReporter"/>.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException(int exitCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }

    /// <summary>A usage error (exit 2): a wrong or missing argument the parser could not catch.</summary>
    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    /// <summary>A file problem (exit 3).</summary>
    public static CliException File(string message, Exception? inner = null) => new(ExitCodes.FileError, message, inner);

    /// <summary>Invalid input content (exit 4).</summary>
    public static CliException Invalid(string message, Exception? inner = null) => new(ExitCodes.InvalidInput, message, inner);
}

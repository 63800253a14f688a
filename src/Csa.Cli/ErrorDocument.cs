using Csa.Bootloader.Updates;

namespace Csa.Cli;

/// <summary>
/// The one JSON document a failing command prints on standard output with <c>--json</c> (docs/cli.md, "Errors with
/// --json"), so a script reads the outcome from stdout whatever happened. The error line on standard error stays.
/// </summary>
/// <param name="Succeeded">Always false.</param>
/// <param name="ExitCode">The process exit code (docs/cli.md, "Exit codes").</param>
/// <param name="Error">What went wrong.</param>
internal sealed record ErrorDocument(bool Succeeded, int ExitCode, ErrorJson Error)
{
    /// <summary>The document for <paramref name="exception"/>, with the exit code and message the error line has.</summary>
    public static ErrorDocument From(Exception exception) => new(false, ErrorReporter.Describe(exception).ExitCode, ErrorOf(exception));

    /// <summary>The <see cref="ErrorJson"/> of <paramref name="exception"/>: its exit code's name, the error line's text, the devices it names.</summary>
    public static ErrorJson ErrorOf(Exception exception)
    {
        (int code, string message) = ErrorReporter.Describe(exception);
        DeviceErrorJson[] devices = DevicesOf(exception).ToArray();
        return new ErrorJson(ExitCodes.NameOf(code), message, devices.Length == 0 ? null : devices);
    }

    /// <summary>One device's error, as the error line of <paramref name="exception"/> describes it.</summary>
    public static DeviceErrorJson DeviceError(string uid, Exception? exception, string fallbackMessage)
    {
        if (exception is null)
            return new DeviceErrorJson(uid, ExitCodes.Failed, ExitCodes.NameOf(ExitCodes.Failed), fallbackMessage);
        (int code, string message) = ErrorReporter.Describe(exception);
        return new DeviceErrorJson(uid, code, ExitCodes.NameOf(code), message);
    }

    /// <summary>The document for a command line the parser refused (exit 2).</summary>
    public static ErrorDocument Usage(string message) =>
        new(false, ExitCodes.Usage, new ErrorJson(ExitCodes.NameOf(ExitCodes.Usage), message, null));

    private static IEnumerable<DeviceErrorJson> DevicesOf(Exception exception)
    {
        IEnumerable<Exception> parts = exception is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [exception];
        foreach (Exception part in parts)
        {
            if (part is UpdateException { Device: { } device })
            {
                (int code, string message) = ErrorReporter.Describe(part);
                yield return new DeviceErrorJson(device.ToString(), code, ExitCodes.NameOf(code), message);
            }
        }
    }
}

/// <summary>The error of an <see cref="ErrorDocument"/>.</summary>
/// <param name="Code">The exit code's name in camelCase: <c>usage</c>, <c>fileError</c>, <c>invalidInput</c>, <c>unreachable</c>, ...</param>
/// <param name="Message">The same text as the <c>csa: error:</c> line.</param>
/// <param name="Devices">The devices the error concerns, each with its own code and message; absent when the error concerns none.</param>
internal sealed record ErrorJson(string Code, string Message, IReadOnlyList<DeviceErrorJson>? Devices);

/// <summary>One device's error in an <see cref="ErrorJson"/>.</summary>
internal sealed record DeviceErrorJson(string Uid, int ExitCode, string Code, string Message);

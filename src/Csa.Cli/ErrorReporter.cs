using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Simulator.Flash;

namespace Csa.Cli;

/// <summary>
/// Turns any exception that escapes a command into one line on standard error and an exit code. Users see what is
/// wrong and never a stack trace (unless --verbose, which adds it for a bug report).
/// </summary>
internal static class ErrorReporter
{
    /// <summary>The exit code and the one-line message for <paramref name="exception"/>.</summary>
    public static (int ExitCode, string Message) Describe(Exception exception)
    {
        if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate)
            exception = aggregate.InnerExceptions[0];

        int code = exception switch
        {
            CliException cli => cli.ExitCode,
            OperationCanceledException => ExitCodes.Cancelled,
            FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException
                when exception is not DataLinkException => ExitCodes.FileError,
            ImageFormatException or FirmwareFormatException or KeyFormatException or SignatureFormatException
                or RpcInterfaceFormatException or FlashImageFileException => ExitCodes.InvalidInput,
            LinkUriException => ExitCodes.Usage,
            SerialPortException { Error: SerialPortError.NotASerialPort } => ExitCodes.Usage,
            ImageRejectedException or UpdateRejectedException => ExitCodes.Rejected,
            Csa.Bootloader.Provisioning.DeviceAuthenticationException or Csa.Bootloader.Provisioning.ProvisioningException => ExitCodes.AuthenticationFailed,
            DeviceNotFoundException or DataLinkException or RpcTimeoutException => ExitCodes.Unreachable,
            UpdateFailedException => ExitCodes.Failed,
            ArgumentException => ExitCodes.Usage,
            _ => ExitCodes.Failed,
        };

        string message = code == ExitCodes.Cancelled ? "cancelled" : OneLine(exception.Message);
        return (code, message);
    }

    /// <summary>Writes "csa: error: ..." (and with <paramref name="verbose"/> the whole exception) and returns the exit code.</summary>
    public static int Report(Exception exception, TextWriter error, bool verbose)
    {
        (int code, string message) = Describe(exception);
        error.WriteLine($"csa: error: {message}");
        if (verbose && code != ExitCodes.Cancelled)
            error.WriteLine(exception.ToString());
        return code;
    }

    /// <summary>
    /// The error line of one device in a many-device command: "csa: error: device UID: message", without naming the
    /// device twice when the message already does.
    /// </summary>
    public static string DeviceLine(string uid, string message) =>
        message.Contains(uid, StringComparison.OrdinalIgnoreCase) ? $"csa: error: {message}" : $"csa: error: device {uid}: {message}";

    private static string OneLine(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

using Csa.Bootloader.Updates;
using Csa.Bootloader.Images;

namespace Csa.Cli.Devices;

/// <summary>The rows of an update or install run (the SDK's, one per device) as a table or JSON, and the exit code.</summary>
internal static class UpdateRows
{
    /// <summary>
    /// Prints the rows (table or JSON) and returns the exit code: 0 when every device succeeded. A single device's error
    /// is rethrown so it gets its own exit code and one line; with several devices the failed rows' common exit code, or 1.
    /// </summary>
    public static int Report(CommandContext context, IReadOnlyList<InstallResult> rows, string target, bool single)
    {
        ResultJson[] results = rows.Select(r => ResultJson.From(r, target)).ToArray();
        InstallResult[] failed = rows.Where(r => !r.Succeeded).ToArray();
        if (single && failed.Length == 1 && failed[0].Error is { } error && !context.Json)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);

        int code = ExitCodes.Success;
        if (failed.Length > 0)
        {
            int[] codes = failed.Select(r => r.Error is null ? ExitCodes.Failed : ErrorReporter.Describe(r.Error).ExitCode).Distinct().ToArray();
            code = codes.Length == 1 ? codes[0] : ExitCodes.Failed;
        }

        if (failed.Length > 0)
        {
            DeviceErrorJson[] errors = failed.Select(r => ErrorDocument.DeviceError(r.Device.ToString(), r.Error, r.FailureReason ?? "failed")).ToArray();
            context.SetFailure(failed.Length == 1 && rows.Count == 1 ? errors[0].Message : $"{failed.Length} of {rows.Count} devices failed", errors);
        }
        if (context.Json)
            context.WriteJson(new { succeeded = failed.Length == 0, exitCode = code, devices = results });
        else
            context.Out.Write(DeviceTables.Results(results));
        foreach (ResultJson row in results.Where(r => !r.Succeeded))
            context.Console.Error.WriteLine(ErrorReporter.DeviceLine(row.Uid, row.Error ?? "failed"));
        return code;
    }
}

using Csa.Bootloader.Updates;

namespace Csa.Cli.Devices;

/// <summary>What one device-maintenance command did to one device: its result, or the error that stopped it.</summary>
internal sealed record DeviceOutcome<T>(DeviceInfo Device, T? Result, Exception? Error) where T : class
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Runs a maintenance command (reset, regions, verify, erase) on each chosen device in turn and turns the outcomes into
/// an exit code the way <c>update</c> does: one device's error is its own exit code and line; with several, one line per
/// failed device and their common code (or 1).
/// </summary>
internal static class PerDevice
{
    /// <summary>
    /// Runs <paramref name="work"/> for each device, one after the other: the restarts of one device re-address its link
    /// when it comes back without its address, which must not happen under another device's restart on the same chain.
    /// </summary>
    public static async Task<IReadOnlyList<DeviceOutcome<T>>> RunAsync<T>(IReadOnlyList<DeviceInfo> devices, Func<DeviceInfo, CancellationToken, Task<T>> work,
        CancellationToken cancellationToken) where T : class
    {
        var outcomes = new List<DeviceOutcome<T>>();
        foreach (DeviceInfo device in devices)
        {
            try
            {
                outcomes.Add(new DeviceOutcome<T>(device, await work(device, cancellationToken).ConfigureAwait(false), null));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                outcomes.Add(new DeviceOutcome<T>(device, null, ex));
            }
        }
        return outcomes;
    }

    /// <summary>
    /// The exit code of <paramref name="outcomes"/>: 0 when every device succeeded. A single device's error is rethrown
    /// (its own exit code and one line) unless --json wants the document; otherwise one error line per failed device, the
    /// document's <c>error</c>, and the failed devices' common code, or 1 when they differ.
    /// </summary>
    public static int Finish<T>(CommandContext context, IReadOnlyList<DeviceOutcome<T>> outcomes) where T : class
    {
        DeviceOutcome<T>[] failed = outcomes.Where(o => !o.Succeeded).ToArray();
        if (failed.Length == 0)
            return ExitCodes.Success;
        if (outcomes.Count == 1 && !context.Json)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed[0].Error!);
        int[] codes = failed.Select(o => ErrorReporter.Describe(o.Error!).ExitCode).Distinct().ToArray();
        DeviceErrorJson[] errors = failed.Select(o => ErrorDocument.DeviceError(o.Device.Uid.ToString(), o.Error, "failed")).ToArray();
        context.SetFailure(failed.Length == 1 && outcomes.Count == 1 ? errors[0].Message : $"{failed.Length} of {outcomes.Count} devices failed", errors);
        foreach (DeviceErrorJson error in errors)
            context.Console.Error.WriteLine(ErrorReporter.DeviceLine(error.Uid, error.Message));
        return codes.Length == 1 ? codes[0] : ExitCodes.Failed;
    }

    /// <summary>The error fields of a JSON row: null on success.</summary>
    public static (string? Error, int? ExitCode) ErrorOf<T>(DeviceOutcome<T> outcome) where T : class
    {
        if (outcome.Error is null)
            return (null, null);
        (int code, string message) = ErrorReporter.Describe(outcome.Error);
        return (message, code);
    }
}

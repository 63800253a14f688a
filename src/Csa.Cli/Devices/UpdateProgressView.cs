using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Spectre.Console;

namespace Csa.Cli.Devices;

/// <summary>
/// Shows the progress of updates: live Spectre.Console bars on a terminal (one per device and image), one plain line
/// per stage change when the output is redirected, nothing with --json (whose one document comes at the end).
/// </summary>
internal static class UpdateProgressView
{
    /// <summary>Runs <paramref name="work"/>, showing the progress it reports.</summary>
    /// <param name="context">The command (console, --json).</param>
    /// <param name="label">The name a device's row gets (product name, address).</param>
    /// <param name="work">The updates; they report through the progress they are given, from any thread.</param>
    public static async Task<T> RunAsync<T>(CommandContext context, Func<DeviceUid, string> label, Func<IProgress<UpdateProgress>, Task<T>> work)
    {
        if (context.Json)
            return await work(new CallbackProgress<UpdateProgress>(_ => { })).ConfigureAwait(false);

        if (!context.Console.IsInteractive)
        {
            var lastStage = new ConcurrentDictionary<(DeviceUid, int), UpdateStage>();
            var plain = new CallbackProgress<UpdateProgress>(p =>
            {
                if (lastStage.TryGetValue((p.Device, p.Step), out UpdateStage seen) && seen == p.Stage)
                    return;
                lastStage[(p.Device, p.Step)] = p.Stage;
                string image = p.StepCount > 1 ? $" (image {p.Step}/{p.StepCount})" : "";
                string bytes = p.Stage is UpdateStage.Transferring or UpdateStage.Verifying or UpdateStage.Done
                    ? $" {p.BytesDone}/{p.BytesTotal} bytes" : "";
                string resumed = p.ResumeCount > 0 ? $", resume {p.ResumeCount}" : "";
                lock (context.Console)
                    context.WriteLine($"  {label(p.Device)}: {p.Stage}{image}{bytes}{resumed}");
            });
            return await work(plain).ConfigureAwait(false);
        }

        T result = default!;
        await context.Out.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new TransferSpeedColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progressContext =>
            {
                var tasks = new ConcurrentDictionary<(DeviceUid, int), ProgressTask>();
                var live = new CallbackProgress<UpdateProgress>(p =>
                {
                    ProgressTask task = tasks.GetOrAdd((p.Device, p.Step), key =>
                    {
                        lock (progressContext)
                            return progressContext.AddTask(Markup.Escape(label(key.Item1)), autoStart: true, maxValue: Math.Max(1, p.BytesTotal));
                    });
                    string image = p.StepCount > 1 ? $" {p.Step}/{p.StepCount}" : "";
                    task.Description = Markup.Escape($"{label(p.Device)}{image} {p.Stage}{(p.ResumeCount > 0 ? $" (resume {p.ResumeCount})" : "")}");
                    if (p.BytesTotal > 0)
                        task.MaxValue = p.BytesTotal;
                    task.Value = p.Stage == UpdateStage.Done ? task.MaxValue : p.BytesDone;
                    if (p.Stage == UpdateStage.Done)
                        task.StopTask();
                });
                try
                {
                    result = await work(live).ConfigureAwait(false);
                }
                finally
                {
                    foreach (ProgressTask task in tasks.Values)
                        task.StopTask();
                }
            }).ConfigureAwait(false);
        return result;
    }
}

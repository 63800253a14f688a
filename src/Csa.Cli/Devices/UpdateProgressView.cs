using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Spectre.Console;

namespace Csa.Cli.Devices;

/// <summary>
/// Shows the progress of updates: live Spectre.Console bars on a terminal (one per device and image), plain lines when
/// the output is redirected (one per stage change, and every few seconds with the percent while transferring:
/// <see cref="ProgressLines"/>), nothing with --json (whose one document comes at the end).
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
            var lines = new ProgressLines(label, line =>
            {
                lock (context.Console)
                    context.WriteLine(line);
            }, TimeProvider.System, context.ProgressInterval);
            return await work(new CallbackProgress<UpdateProgress>(lines.Report)).ConfigureAwait(false);
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

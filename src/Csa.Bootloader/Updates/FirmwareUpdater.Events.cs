namespace Csa.Bootloader.Updates;

// Progress as an event: the natural callback from Python (pythonnet turns a Python function into the handler of
// `updater.ProgressChanged += on_progress`, but not into an IProgress<T> or Action<T> argument) and from UI code.
public sealed partial class FirmwareUpdater
{
    /// <summary>
    /// Raised for every progress report of every update this updater runs (<see cref="UpdateApplicationAsync"/>,
    /// the bootloader updates and each device of an install), in addition to the <see cref="IProgress{T}"/> given to
    /// the call. Handlers run on the reporting thread, concurrently when updates run in parallel: keep them quick and
    /// thread-safe. An exception a handler throws is swallowed, so a faulty display never stops an update.
    /// </summary>
    public event Action<UpdateProgress>? ProgressChanged;

    // The sink a run reports to: the caller's progress, then this updater's handlers at the time of each report (so a
    // handler added while an update runs sees the rest of it).
    private IProgress<UpdateProgress> ReportingTo(IProgress<UpdateProgress>? progress) => new EventRaisingProgress(this, progress);

    private sealed class EventRaisingProgress(FirmwareUpdater updater, IProgress<UpdateProgress>? inner) : IProgress<UpdateProgress>
    {
        public void Report(UpdateProgress value)
        {
            inner?.Report(value);
            Action<UpdateProgress>? handlers = Volatile.Read(ref updater.ProgressChanged);
            if (handlers is null)
                return;
            foreach (Action<UpdateProgress> handler in handlers.GetInvocationList().Cast<Action<UpdateProgress>>())
            {
                try
                {
                    handler(value);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A progress display must never break the update it displays; the other handlers still run.
                }
            }
        }
    }
}

namespace Csa.Bootloader.Updates;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls a callback directly on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts to the creating synchronization context). Convenient from Python
/// (<c>CallbackProgress[UpdateProgress](Action[UpdateProgress](lambda p: print(p)))</c>: pythonnet needs the explicit
/// <c>Action</c> there; <see cref="FirmwareUpdater.ProgressChanged"/> takes a plain function) and from console tools. The callback must be quick
/// and thread-safe: reports of parallel updates arrive concurrently. An exception it throws is swallowed, so a
/// faulty display never stops an update.
/// </summary>
/// <typeparam name="T">The report type.</typeparam>
public sealed class CallbackProgress<T> : IProgress<T>
{
    private readonly Action<T> _callback;

    /// <summary>Creates the progress sink.</summary>
    public CallbackProgress(Action<T> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _callback = callback;
    }

    /// <inheritdoc />
    public void Report(T value)
    {
        try
        {
            _callback(value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A progress display must never break the update it displays.
        }
    }
}

using System.IO.Pipelines;

namespace Csa.DataLink.Bus.Internal;

/// <summary>
/// A pipe's writer that tells its owner when bytes were flushed (the bus loops take bytes with a synchronous
/// <see cref="PipeReader.TryRead"/> and so cannot await the reader), and that throws
/// <see cref="TransportClosedException"/> from every flush once the owner closed it (docs/transports.md section 1).
/// </summary>
internal sealed class NotifyingPipeWriter(PipeWriter inner, string transportName, Action flushed) : PipeWriter
{
    private string? _closedReason;

    /// <summary>From now on every flush throws <see cref="TransportClosedException"/> with <paramref name="reason"/>; a waiting flush is released.</summary>
    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closedReason, reason, null) is null)
        {
            inner.CancelPendingFlush();
            inner.Complete();
        }
    }

    public override void Advance(int bytes)
    {
        if (Volatile.Read(ref _closedReason) is null)
            inner.Advance(bytes);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => Close("the output was completed");

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        ValueTask<FlushResult> flush = inner.FlushAsync(cancellationToken);
        flushed();
        FlushResult result;
        try
        {
            result = await flush.ConfigureAwait(false);
        }
        catch (InvalidOperationException) when (Volatile.Read(ref _closedReason) is not null)
        {
            // The pipe was completed under a waiting flush.
            ThrowIfClosed();
            throw;
        }
        if (result.IsCanceled || result.IsCompleted)
            ThrowIfClosed();
        return result;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ThrowIfClosed();
        return inner.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        ThrowIfClosed();
        return inner.GetSpan(sizeHint);
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closedReason) is { } reason)
            throw new TransportClosedException(transportName, reason);
    }
}

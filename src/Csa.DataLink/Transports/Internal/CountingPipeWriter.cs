using System.IO.Pipelines;

namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// Passes everything to the emulated line's send pipe and counts the bytes written, so the line can tell
/// "nothing written that I have not taken yet" (what tests on a fake clock wait for before advancing it)
/// without reading the pipe from a second thread.
/// </summary>
internal sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
{
    private long _written;

    public long Written => Interlocked.Read(ref _written);

    public override void Advance(int bytes)
    {
        inner.Advance(bytes);
        Interlocked.Add(ref _written, bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;
}

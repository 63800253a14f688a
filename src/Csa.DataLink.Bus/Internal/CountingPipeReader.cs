using System.Buffers;
using System.IO.Pipelines;

namespace Csa.DataLink.Bus.Internal;

/// <summary>
/// A pipe's reader that counts the bytes its consumer has consumed, so the writer knows how much of a bounded
/// receive buffer is still occupied (the slave's <c>free</c> field).
/// </summary>
internal sealed class CountingPipeReader(PipeReader inner) : PipeReader
{
    private ReadOnlySequence<byte> _last;
    private long _consumed;

    public long Consumed => Interlocked.Read(ref _consumed);

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        long count = _last.Slice(_last.Start, consumed).Length;
        inner.AdvanceTo(consumed, examined);
        _last = default;
        Interlocked.Add(ref _consumed, count);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ReadResult result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        _last = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        bool read = inner.TryRead(out result);
        if (read)
            _last = result.Buffer;
        return read;
    }
}

using System.Buffers;
using System.IO.Pipelines;

namespace Csa.DataLink.Internal;

/// <summary>
/// One link's I/O: a single read loop that owns <see cref="PipeReader.AdvanceTo(SequencePosition, SequencePosition)"/>
/// and feeds the frame decoder, and serialised frame writes. When the transport ends or fails the link closes once,
/// with a <see cref="LinkClosedException"/> that pending and later sends receive.
/// </summary>
internal sealed class LinkConnection : IAsyncDisposable
{
    // A sender puts a delimiter before a frame after the line was quiet this long, so noise that arrived
    // meanwhile is cut off at the receiver and cannot corrupt the frame.
    private static readonly TimeSpan IdleResynchronisation = TimeSpan.FromMilliseconds(100);

    private readonly ILinkTransport _transport;
    private readonly ILinkFrameHandler _handler;
    private readonly FrameDecoder _decoder;
    private readonly CutThroughForwarder? _forwarder;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private long _lastWrite;
    private bool _wroteOnce;
    private volatile LinkClosedException? _closed;
    private int _disposed;
    // Cut-through, as the link frames come in on: the link the current frame is being passed on to, how many bytes of
    // the current (incomplete) run the forwarder has seen, and whether the stall timer fired.
    private LinkConnection? _cutTarget;
    private LinkConnection? _endedCutThroughTo;
    private long _seen;
    private int _stalled;
    private bool _stallSuspected;
    // Cut-through, as the link frames go out on: the resynchronisation delimiter written when the frame began.
    private int _cutThroughPrefix;

    // stallTimeout null: frames are handed over whole (store-and-forward). Otherwise frames are passed on while they
    // arrive (cut-through), and a frame whose bytes stop coming for that long is aborted on the outgoing link.
    public LinkConnection(ILinkTransport transport, ILinkFrameHandler handler, int maxFrameSize, DataLinkCounters counters, TimeProvider timeProvider,
        TimeSpan? stallTimeout = null)
    {
        _transport = transport;
        _handler = handler;
        _decoder = new FrameDecoder(maxFrameSize);
        if (stallTimeout is { } stall)
        {
            _forwarder = new CutThroughForwarder(maxFrameSize);
            _stallTimeout = stall;
        }
        _timeProvider = timeProvider;
        Counters = counters;
    }

    public string Name => _transport.Name;

    public DataLinkCounters Counters { get; }

    /// <summary>Set once the link has closed; the reason every later send receives.</summary>
    public LinkClosedException? ClosedReason => _closed;

    public bool IsClosed => _closed is not null;

    /// <summary>Completes when the read loop has ended and the link is closed.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The owner set by the node (the public <see cref="NodeLink"/>).</summary>
    public NodeLink? Owner { get; set; }

    public void Start() => _readLoop = Task.Run(ReadLoopAsync);

    /// <summary>Encodes and writes one frame. Never writes part of a frame; serialised with other writers.</summary>
    public async ValueTask SendFrameAsync(FrameHeader header, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            FlushResult result;
            int written = 0;
            try
            {
                PipeWriter output = _transport.Output;
                written = BeginFrame(output);
                written += FrameCodec.Write(output, header, payload.Span);
                result = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                throw CloseForSender($"writing to {Name} failed: {ex.Message}", ex);
            }
            if (result.IsCompleted)
                throw CloseForSender($"the peer of {Name} stopped reading", null);
            if (result.IsCanceled)
            {
                ThrowIfClosed();
                throw new OperationCanceledException(cancellationToken);
            }
            Counters.AddFrameSent(written);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Starts a frame on <paramref name="output"/> (under the write lock): the first frame on the link, and one after the
    /// line was idle for <see cref="IdleResynchronisation"/>, is preceded by a delimiter, so a receiver that caught half
    /// a frame resynchronises before it. Returns the bytes written (0 or 1).
    /// </summary>
    private int BeginFrame(PipeWriter output)
    {
        long now = _timeProvider.GetTimestamp();
        int written = 0;
        if (!_wroteOnce || _timeProvider.GetElapsedTime(_lastWrite, now) >= IdleResynchronisation)
        {
            output.GetSpan(1)[0] = DataLinkProtocol.Delimiter;
            output.Advance(1);
            written = 1;
        }
        _wroteOnce = true;
        _lastWrite = now;
        return written;
    }

    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Input;
        string reason = $"{Name} was closed by the peer";
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await ReadBoundedAsync(input).ConfigureAwait(false);
                bool stallFired = result.IsCanceled && Interlocked.Exchange(ref _stalled, 0) == 1 && !_stop.IsCancellationRequested;
                bool newBytes = result.Buffer.Length > _seen;
                if (stallFired && !newBytes)
                {
                    if (_cutTarget is { } target)
                    {
                        if (_stallSuspected || target.IsClosed)
                        {
                            // Nothing came for the bound and then for a grace period more: the upstream stopped in the
                            // middle of a frame being passed on. Let the outgoing link go.
                            _stallSuspected = false;
                            await AbortCutThroughAsync(FrameDropReason.Truncated).ConfigureAwait(false);
                        }
                        else
                        {
                            // Wait a little more before deciding: a process that was not scheduled for a while (a loaded
                            // host) fires its timers before it delivers the bytes that arrived meanwhile.
                            _stallSuspected = true;
                        }
                    }
                    input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    continue;
                }
                if (newBytes)
                    _stallSuspected = false;
                ReadOnlySequence<byte> buffer = result.Buffer;
                long before = buffer.Length;
                buffer = _forwarder is null
                    ? await ParseFramesAsync(buffer).ConfigureAwait(false)
                    : await ParseRunsAsync(buffer).ConfigureAwait(false);
                Counters.AddBytesReceived(before - buffer.Length);
                if (result.IsCompleted && !buffer.IsEmpty)
                {
                    // The stream ended inside a frame: what is left can never be completed.
                    Counters.AddBytesReceived(buffer.Length);
                    Counters.AddResynchronisation();
                    Counters.AddDropped(FrameDropReason.Truncated);
                    _handler.OnFrameDropped(this, FrameDropReason.Truncated);
                    buffer = buffer.Slice(buffer.End);
                    _seen = 0;
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    break;
                if ((result.IsCanceled && !stallFired) || _stop.IsCancellationRequested)
                {
                    reason = $"{Name} was closed locally";
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            reason = $"{Name} was closed locally";
        }
        catch (Exception ex)
        {
            reason = $"reading from {Name} failed: {ex.Message}";
            error = ex;
        }
        finally
        {
            // A frame still being passed on can never be completed: end it on the outgoing link and let that link go.
            await AbortCutThroughAsync(FrameDropReason.Truncated).ConfigureAwait(false);
            try
            {
                await input.CompleteAsync(error).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The transport is broken already; completing its reader cannot make it worse.
            }
            Close(reason, error);
        }
    }

    /// <summary>
    /// Reads the next input. While a frame is being passed on, the read is bounded (the stall timeout, then a quarter of it
    /// once more before the frame is aborted): the outgoing link carries nothing else meanwhile, so an upstream that
    /// stalls mid-frame must not hold it for ever.
    /// </summary>
    private async ValueTask<ReadResult> ReadBoundedAsync(PipeReader input)
    {
        if (_cutTarget is null)
            return await input.ReadAsync(_stop.Token).ConfigureAwait(false);
        TimeSpan bound = _stallSuspected ? _stallTimeout / 4 : _stallTimeout;
        using ITimer stall = _timeProvider.CreateTimer(static state => ((LinkConnection)state!).OnStalled(), this, bound, Timeout.InfiniteTimeSpan);
        // The outgoing link closing (its transport failed, or it is being disposed and waits for this frame to let it
        // go) ends the wait at once.
        using CancellationTokenRegistration closed = _cutTarget._stop.Token.UnsafeRegister(static state => ((LinkConnection)state!).OnStalled(), this);
        return await input.ReadAsync(_stop.Token).ConfigureAwait(false);
    }

    private void OnStalled()
    {
        Volatile.Write(ref _stalled, 1);
        try
        {
            _transport.Input.CancelPendingRead();
        }
        catch (Exception)
        {
            // The reader completed meanwhile: the read loop has ended and aborts the frame itself.
        }
    }

    /// <summary>Store-and-forward: every complete frame in <paramref name="buffer"/> is handed over once its delimiter arrived; returns the incomplete rest.</summary>
    private async ValueTask<ReadOnlySequence<byte>> ParseFramesAsync(ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            FrameParseStatus status = _decoder.TryParse(ref buffer, out DecodedFrame frame, out FrameDropReason dropped);
            if (status == FrameParseStatus.NeedMoreData)
                return buffer;
            if (status == FrameParseStatus.Dropped)
            {
                ReportDropped(dropped);
                continue;
            }
            Counters.AddFrameReceived();
            await _handler.OnFrameAsync(this, frame, null).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Cut-through: goes through <paramref name="buffer"/> one run (frame) at a time. The forwarder sees each byte of a
    /// run once, as it arrives, and passes the frame on while it comes in; the decoder takes the run whole at its
    /// delimiter for local delivery and for what was not passed on. Returns the incomplete rest, which the forwarder
    /// has seen already (<see cref="_seen"/>).
    /// </summary>
    private async ValueTask<ReadOnlySequence<byte>> ParseRunsAsync(ReadOnlySequence<byte> buffer)
    {
        while (true)
        {
            SequencePosition? delimiter = buffer.PositionOf(DataLinkProtocol.Delimiter);
            ReadOnlySequence<byte> run = delimiter is { } end ? buffer.Slice(0, buffer.GetPosition(1, end)) : buffer;
            if (run.Length > _seen)
                await FeedForwarderAsync(run.Slice(_seen)).ConfigureAwait(false);
            if (delimiter is null)
            {
                // No delimiter yet: the decoder keeps the run, or discards it as it comes if it is already too long.
                FrameParseStatus pending = _decoder.TryParse(ref buffer, out _, out FrameDropReason overlong);
                if (pending == FrameParseStatus.Dropped)
                    ReportDropped(overlong);
                _seen = buffer.Length;
                return buffer;
            }
            buffer = buffer.Slice(run.End);
            _seen = 0;
            LinkConnection? cutThroughTo = _endedCutThroughTo;
            _endedCutThroughTo = null;
            FrameParseStatus status = _decoder.TryParse(ref run, out DecodedFrame frame, out FrameDropReason dropped);
            if (status == FrameParseStatus.Dropped)
            {
                ReportDropped(dropped);
            }
            else if (status == FrameParseStatus.Frame)
            {
                Counters.AddFrameReceived();
                await _handler.OnFrameAsync(this, frame, cutThroughTo).ConfigureAwait(false);
            }
        }
    }

    private void ReportDropped(FrameDropReason reason)
    {
        Counters.AddResynchronisation();
        Counters.AddDropped(reason);
        _handler.OnFrameDropped(this, reason);
    }

    /// <summary>Gives the forwarder the bytes of the current run it has not seen, deciding at the header and ending at the delimiter.</summary>
    private async ValueTask FeedForwarderAsync(ReadOnlySequence<byte> unseen)
    {
        CutThroughForwarder forwarder = _forwarder!;
        foreach (ReadOnlyMemory<byte> segment in unseen)
        {
            int offset = 0;
            while (offset < segment.Length)
            {
                CutThroughStep step = forwarder.Feed(segment.Span[offset..], _cutTarget?.CutThroughOutput, out int consumed);
                offset += consumed;
                if (step == CutThroughStep.HeaderReady)
                    await DecideCutThroughAsync(forwarder).ConfigureAwait(false);
                else if (step == CutThroughStep.FrameEnded)
                    await EndCutThroughAsync(forwarder).ConfigureAwait(false);
            }
        }
        if (_cutTarget is { } target && !await target.FlushCutThroughAsync(_stop.Token).ConfigureAwait(false))
        {
            // The outgoing link failed or closed under the frame: nothing more can go out on it.
            forwarder.Abandon();
            _cutTarget = null;
            target.EndCutThrough(forwarder.BytesWritten, CutThroughOutcome.Aborted);
        }
    }

    private async ValueTask DecideCutThroughAsync(CutThroughForwarder forwarder)
    {
        if (forwarder.TryGetHeader(out FrameHeader header)
            && _handler.ChooseCutThroughLink(this, header) is { } target
            && !ReferenceEquals(target, this)
            && await target.BeginCutThroughAsync(_stop.Token).ConfigureAwait(false))
        {
            _cutTarget = target;
            forwarder.Accept(target.CutThroughOutput);
            return;
        }
        forwarder.Decline();
    }

    private async ValueTask EndCutThroughAsync(CutThroughForwarder forwarder)
    {
        _endedCutThroughTo = null;
        if (_cutTarget is not { } target)
            return; // not passed on, or aborted already (its outgoing side ended then)
        _cutTarget = null;
        bool flushed = await target.FlushCutThroughAsync(_stop.Token).ConfigureAwait(false);
        CutThroughOutcome outcome = flushed ? forwarder.Outcome : CutThroughOutcome.Aborted;
        target.EndCutThrough(forwarder.BytesWritten, outcome);
        if (outcome == CutThroughOutcome.Forwarded)
            _endedCutThroughTo = target;
        else
            _handler.OnCutThroughEnded(this, target, outcome, forwarder.AbortReason);
    }

    /// <summary>Ends a frame being passed on before its end arrived (stall, or this link closing) and lets the outgoing link go.</summary>
    private async ValueTask AbortCutThroughAsync(FrameDropReason reason)
    {
        if (_forwarder is null || _cutTarget is not { } target)
            return;
        _cutTarget = null;
        _forwarder.Abort(target.CutThroughOutput, reason);
        bool flushed = await target.FlushCutThroughAsync(CancellationToken.None).ConfigureAwait(false);
        // Even if the flush failed (the outgoing link is closing) the link is let go: nothing more can be sent on it.
        target.EndCutThrough(flushed ? _forwarder.BytesWritten : 0, CutThroughOutcome.Aborted);
        _handler.OnCutThroughEnded(this, target, CutThroughOutcome.Aborted, reason);
    }

    // --- This link as the outgoing side of a frame another link passes on while it arrives ----------------------

    /// <summary>
    /// Takes the link for one frame passed on cut-through: other writers wait until <see cref="EndCutThrough"/>, so no
    /// other frame's bytes come between its bytes. False if the link is closed.
    /// </summary>
    internal async ValueTask<bool> BeginCutThroughAsync(CancellationToken cancellationToken)
    {
        if (IsClosed)
            return false;
        try
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        if (IsClosed)
        {
            _writeLock.Release();
            return false;
        }
        _cutThroughPrefix = BeginFrame(_transport.Output);
        return true;
    }

    /// <summary>Where the frame being passed on is written, between <see cref="BeginCutThroughAsync"/> and <see cref="EndCutThrough"/>.</summary>
    internal PipeWriter CutThroughOutput => _transport.Output;

    /// <summary>Sends what the forwarder wrote so far; false if the link failed or closed (the frame cannot go on).</summary>
    internal async ValueTask<bool> FlushCutThroughAsync(CancellationToken cancellationToken)
    {
        if (IsClosed)
            return false;
        FlushResult result;
        try
        {
            result = await _transport.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex)
        {
            Close($"writing to {Name} failed: {ex.Message}", ex);
            return false;
        }
        if (result.IsCompleted)
        {
            Close($"the peer of {Name} stopped reading", null);
            return false;
        }
        _lastWrite = _timeProvider.GetTimestamp();
        // A cancelled flush still committed the bytes; only a closed link stops the frame. (A transport may report one
        // cancellation left over from before, e.g. a cable a powered-down session cancelled its flush on.)
        return !IsClosed;
    }

    /// <summary>Ends the frame passed on and lets other writers in again.</summary>
    internal void EndCutThrough(long bytesWritten, CutThroughOutcome outcome)
    {
        long bytes = bytesWritten + _cutThroughPrefix;
        _cutThroughPrefix = 0;
        if (bytesWritten > 0)
            Counters.AddFrameSent((int)bytes);
        if (outcome == CutThroughOutcome.Forwarded)
            Counters.AddCutThrough();
        else if (bytesWritten > 0)
            Counters.AddPoisoned();
        _writeLock.Release();
    }

    private LinkClosedException Close(string reason, Exception? error)
    {
        var closed = new LinkClosedException(Name, $"The link {reason}.", error);
        if (Interlocked.CompareExchange(ref _closed, closed, null) is { } earlier)
            return earlier;
        _stop.Cancel();
        try
        {
            _transport.Input.CancelPendingRead();
            _transport.Output.CancelPendingFlush();
        }
        catch (Exception)
        {
            // A transport that already tore its pipes down has nothing pending to cancel.
        }
        _handler.OnClosed(this, closed);
        _completion.TrySetResult();
        return closed;
    }

    /// <summary>Closes the link (if still open) and gives the sender its own exception to throw.</summary>
    private LinkClosedException CloseForSender(string reason, Exception? error)
    {
        LinkClosedException closed = Close(reason, error);
        return new LinkClosedException(closed.LinkName, closed.Message, closed.InnerException);
    }

    private void ThrowIfClosed()
    {
        if (_closed is { } closed)
            throw new LinkClosedException(closed.LinkName, closed.Message, closed.InnerException);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _completion.Task.ConfigureAwait(false);
            return;
        }
        Close($"{Name} was closed locally", null);
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The read loop reports its end through Close; nothing more to do here.
        }
        // Wait for a writer still inside the lock (its flush was cancelled) before tearing the transport down.
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already completed or broken.
        }
        finally
        {
            _writeLock.Release();
        }
        await _transport.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}

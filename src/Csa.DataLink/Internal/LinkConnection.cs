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
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private long _lastWrite;
    private bool _wroteOnce;
    private volatile LinkClosedException? _closed;
    private int _disposed;

    public LinkConnection(ILinkTransport transport, ILinkFrameHandler handler, int maxFrameSize, DataLinkCounters counters, TimeProvider timeProvider)
    {
        _transport = transport;
        _handler = handler;
        _decoder = new FrameDecoder(maxFrameSize);
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
                long now = _timeProvider.GetTimestamp();
                if (!_wroteOnce || _timeProvider.GetElapsedTime(_lastWrite, now) >= IdleResynchronisation)
                {
                    output.GetSpan(1)[0] = DataLinkProtocol.Delimiter;
                    output.Advance(1);
                    written = 1;
                }
                written += FrameCodec.Write(output, header, payload.Span);
                _wroteOnce = true;
                _lastWrite = now;
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

    private async Task ReadLoopAsync()
    {
        PipeReader input = _transport.Input;
        string reason = $"{Name} was closed by the peer";
        Exception? error = null;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                long before = buffer.Length;
                while (true)
                {
                    FrameParseStatus status = _decoder.TryParse(ref buffer, out DecodedFrame frame, out FrameDropReason dropped);
                    if (status == FrameParseStatus.NeedMoreData)
                        break;
                    if (status == FrameParseStatus.Dropped)
                    {
                        Counters.AddResynchronisation();
                        Counters.AddDropped(dropped);
                        _handler.OnFrameDropped(this, dropped);
                        continue;
                    }
                    Counters.AddFrameReceived();
                    await _handler.OnFrameAsync(this, frame).ConfigureAwait(false);
                }
                Counters.AddBytesReceived(before - buffer.Length);
                if (result.IsCompleted && !buffer.IsEmpty)
                {
                    // The stream ended inside a frame: what is left can never be completed.
                    Counters.AddBytesReceived(buffer.Length);
                    Counters.AddResynchronisation();
                    Counters.AddDropped(FrameDropReason.Truncated);
                    _handler.OnFrameDropped(this, FrameDropReason.Truncated);
                    buffer = buffer.Slice(buffer.End);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    break;
                if (result.IsCanceled || _stop.IsCancellationRequested)
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

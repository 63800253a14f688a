using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// Moves bytes between a medium (<see cref="IByteStreamIo"/>) and a transport's two pipes, and owns the
/// completion semantics every transport shares:
/// <list type="bullet">
/// <item>the peer ends the stream, the medium fails, or the transport is disposed: the input pipe completes
/// <em>without</em> an exception (the reader sees <c>IsCompleted</c>), and every later flush of the output
/// pipe throws <see cref="TransportClosedException"/> carrying the cause;</item>
/// <item>the output side is always torn down before the input completes, so a reader that has seen
/// <c>IsCompleted</c> can rely on its next write failing;</item>
/// <item>the local writer completing the output pipe half-closes the medium (TCP FIN) and keeps receiving.</item>
/// </list>
/// Each pipe end is completed only by the loop that uses it, never from another thread.
/// </summary>
internal sealed class DuplexPumps : IAsyncDisposable
{
    private const int MinimumReceiveBuffer = 4096;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly string _name;
    private readonly IByteStreamIo _io;
    private readonly ILogger _logger;
    private readonly Pipe _input;
    private readonly Pipe _output;
    private readonly CancellationTokenSource _stop = new();
    private Task _sendLoop = Task.CompletedTask;
    private Task _receiveLoop = Task.CompletedTask;
    private CloseCause? _cause;
    private int _started;
    private int _aborted;
    private bool _draining;

    public DuplexPumps(string name, IByteStreamIo io, ILogger logger, long inputPauseThreshold = 1024 * 1024)
    {
        _name = name;
        _io = io;
        _logger = logger;
        _input = new Pipe(new PipeOptions(
            pauseWriterThreshold: inputPauseThreshold,
            resumeWriterThreshold: inputPauseThreshold / 2,
            useSynchronizationContext: false));
        _output = new Pipe(new PipeOptions(useSynchronizationContext: false));
    }

    public PipeReader Input => _input.Reader;

    public PipeWriter Output => _output.Writer;

    /// <summary>Starts both loops. <paramref name="receiveOnDedicatedThread"/> runs the receive loop on its own
    /// thread with blocking reads, for media whose asynchronous reads cannot be trusted (serial ports).</summary>
    public void Start(bool receiveOnDedicatedThread)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The pumps are already running.");
        }

        _sendLoop = Task.Run(SendLoopAsync);
        _receiveLoop = receiveOnDedicatedThread
            ? Task.Factory.StartNew(ReceiveLoopBlocking, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : Task.Run(ReceiveLoopAsync);
        TransportLog.Opened(_logger, _name);
    }

    /// <summary>
    /// Sends what was already flushed (for at most <see cref="DrainTimeout"/>: a peer that stopped reading
    /// must not hang disposal), half-closes, then closes the medium and waits until both loops have
    /// completed their pipe ends. Like closing a socket, whose buffered bytes still go out.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (TrySetCause("the transport was disposed", null) && Volatile.Read(ref _started) != 0)
        {
            // Wake the send loop with everything flushed so far; it sends that and stops.
            Volatile.Write(ref _draining, true);
            _output.Reader.CancelPendingRead();
            try
            {
                await _sendLoop.WaitAsync(DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The medium does not take the bytes: give up on them.
            }
        }

        Abort();
        await Task.WhenAll(_sendLoop, _receiveLoop).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task SendLoopAsync()
    {
        PipeReader reader = _output.Reader;
        try
        {
            while (true)
            {
                ReadResult result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    await _io.SendAsync(segment, _stop.Token).ConfigureAwait(false);
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted || (result.IsCanceled && Volatile.Read(ref _draining)))
                {
                    _io.ShutdownSend();
                    TransportLog.OutputCompleted(_logger, _name);
                    break;
                }
            }
        }
        catch (Exception error)
        {
            BeginClose("sending failed", error);
        }
        finally
        {
            await reader.CompleteAsync(ClosedException()).ConfigureAwait(false);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter writer = _input.Writer;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(MinimumReceiveBuffer);
                int received = await _io.ReceiveAsync(memory, _stop.Token).ConfigureAwait(false);
                if (received == 0)
                {
                    BeginClose("the peer closed the connection", null);
                    break;
                }

                writer.Advance(received);
                FlushResult flush = await writer.FlushAsync(_stop.Token).ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    break; // the local reader completed the input pipe: nobody wants more bytes
                }
            }
        }
        catch (Exception error)
        {
            BeginClose("receiving failed", error);
        }
        finally
        {
            await _sendLoop.ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void ReceiveLoopBlocking()
    {
        PipeWriter writer = _input.Writer;
        try
        {
            while (true)
            {
                Memory<byte> memory = writer.GetMemory(MinimumReceiveBuffer);
                int received = WaitFor(_io.ReceiveAsync(memory, _stop.Token));
                if (received == 0)
                {
                    BeginClose("the peer closed the connection", null);
                    break;
                }

                writer.Advance(received);
                if (WaitFor(writer.FlushAsync(_stop.Token)).IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception error)
        {
            BeginClose("receiving failed", error);
        }
        finally
        {
            _sendLoop.GetAwaiter().GetResult();
            writer.Complete();
        }
    }

    private static T WaitFor<T>(ValueTask<T> pending)
        => pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private void BeginClose(string reason, Exception? error)
    {
        TrySetCause(reason, error);
        Abort();
    }

    /// <summary>Records why the transport closes; the first cause wins. Returns true for the first.</summary>
    private bool TrySetCause(string reason, Exception? error)
    {
        if (error is OperationCanceledException && _stop.IsCancellationRequested)
        {
            error = null; // our own cancellation, not a cause
        }

        if (Interlocked.CompareExchange(ref _cause, new CloseCause(reason, error), null) is not null)
        {
            return false;
        }

        TransportLog.Closed(_logger, _name, reason, error);
        return true;
    }

    /// <summary>Stops both loops and closes the medium (once).</summary>
    private void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            _stop.Cancel();
        }
        finally
        {
            _io.Abort();
        }
    }

    private TransportClosedException ClosedException()
    {
        CloseCause? cause = Volatile.Read(ref _cause);
        return cause is null
            ? new TransportClosedException(_name, "the local writer completed the output")
            : new TransportClosedException(_name, cause.Error is null ? cause.Reason : $"{cause.Reason}: {cause.Error.Message}", cause.Error);
    }

    private sealed record CloseCause(string Reason, Exception? Error);
}

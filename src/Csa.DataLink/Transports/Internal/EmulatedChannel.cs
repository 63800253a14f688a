using System.Buffers;
using System.IO.Pipelines;

namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// One direction of an emulated link. Two loops:
/// <list type="bullet">
/// <item>the transmit loop takes bytes from the sender's output pipe only as fast as the line can send
/// them (keeping the line busy about <see cref="_horizon"/> ahead), numbers them on the <see cref="LineClock"/>
/// and passes them through the <see cref="FrameImpairer"/>; bytes it has not taken stay in the pipe, so a
/// sender that writes faster than the line fills the pipe and its flushes wait, like a full UART FIFO;</item>
/// <item>the delivery loop hands each byte to the receiver's input pipe once its due time has passed. It
/// sleeps until the next due time and then delivers every byte due, in one batch, so pacing costs one
/// timer per batch, never one per byte.</item>
/// </list>
/// </summary>
internal sealed class EmulatedChannel
{
    private static readonly TimeSpan MinimumHorizon = TimeSpan.FromMilliseconds(8);
    private static readonly TimeSpan DeliveryQuantum = TimeSpan.FromMilliseconds(1);
    private const int MinimumHorizonBytes = 32;

    private readonly EmulatedLink _link;
    private readonly string _senderName;
    private readonly TimeProvider _time;
    private readonly LineClock _clock;
    private readonly FrameImpairer? _impairer;
    private readonly WireChunkBuilder _builder = new();
    private readonly Pipe _send;
    private readonly CountingPipeWriter _senderOutput;
    private long _taken;
    private volatile bool _transmitWaitIsRead;
    private readonly Pipe _receive;
    private readonly Queue<WireChunk> _inFlight = new();
    private readonly object _gate = new();
    private readonly long _horizon;
    private TaskCompletionSource? _arrival;
    private bool _senderFinished;
    private Task? _transmitWait;
    private Task? _deliveryWait;
    private volatile bool _transmitterStopped;
    private volatile bool _deliveryStopped;
    private bool _inFrame; // counting frames on the transparent path
    private volatile bool _lineCut;

    public EmulatedChannel(EmulatedLink link, string senderName, EmulatedChannelOptions options, TimeProvider time, int frameSeed, int bitSeed)
    {
        _link = link;
        _senderName = senderName;
        _time = time;
        _clock = new LineClock(options.BaudRate, time.TimestampFrequency, options.Latency);
        _impairer = options.HasImpairments ? new FrameImpairer(options, Counters, frameSeed, bitSeed) : null;
        _horizon = Math.Max(
            (long)(MinimumHorizon.TotalSeconds * time.TimestampFrequency),
            _clock.DurationOf(MinimumHorizonBytes));
        _send = new Pipe(new PipeOptions(
            pauseWriterThreshold: options.TransmitBufferSize,
            resumeWriterThreshold: Math.Max(1, options.TransmitBufferSize / 2),
            useSynchronizationContext: false));
        _senderOutput = new CountingPipeWriter(_send.Writer);

        // The receiver's input is unbounded: a receiving end that stops reading never slows the line down.
        _receive = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
    }

    public EmulatedLinkCounters Counters { get; } = new();

    public PipeWriter SenderOutput => _senderOutput;

    public PipeReader ReceiverInput => _receive.Reader;

    /// <summary>Both loops are waiting for something only the outside can cause (a write, or time passing),
    /// with nothing deliverable. Tests check this before advancing a fake clock.</summary>
    public bool IsIdle
    {
        get
        {
            Task? transmit = Volatile.Read(ref _transmitWait);
            Task? delivery = Volatile.Read(ref _deliveryWait);
            bool transmitterIdle = _transmitterStopped
                || (transmit is { IsCompleted: false } && (!_transmitWaitIsRead || _senderOutput.Written == Interlocked.Read(ref _taken)));
            return transmitterIdle && (_deliveryStopped || delivery is { IsCompleted: false });
        }
    }

    public Task RunTransmitterAsync(CancellationToken stop) => Task.Run(() => TransmitLoopAsync(stop), CancellationToken.None);

    public Task RunDeliveryAsync(Task transmittersStopped, CancellationToken stop)
        => Task.Run(() => DeliveryLoopAsync(transmittersStopped, stop), CancellationToken.None);

    private async Task TransmitLoopAsync(CancellationToken stop)
    {
        PipeReader reader = _send.Reader;
        bool backlogged = false;
        try
        {
            while (true)
            {
                if (!_clock.Unlimited)
                {
                    // Take more only when the line has less than half the horizon left to send.
                    long backlog = _clock.FreeAt - _time.GetTimestamp();
                    if (backlog > _horizon / 2)
                    {
                        Task pause = Task.Delay(_clock.ToTimeSpan(backlog - (_horizon / 2)), _time, stop);
                        _transmitWaitIsRead = false;
                        Volatile.Write(ref _transmitWait, pause);
                        await pause.ConfigureAwait(false);
                        continue;
                    }
                }

                ValueTask<ReadResult> pending = reader.ReadAsync(stop);
                ReadResult result;
                if (pending.IsCompleted)
                {
                    result = pending.Result;
                }
                else
                {
                    Task<ReadResult> read = pending.AsTask();
                    _transmitWaitIsRead = true;
                    Volatile.Write(ref _transmitWait, read);
                    result = await read.ConfigureAwait(false);
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                long now = _time.GetTimestamp();
                long take = Math.Min(buffer.Length, _clock.BytesToFill(now, backlogged, _horizon));
                if (take > 0)
                {
                    Transmit(buffer.Slice(0, take), now, backlogged);
                }

                reader.AdvanceTo(buffer.GetPosition(take));
                Interlocked.Add(ref _taken, take);
                backlogged = take < buffer.Length;
                if (result.IsCompleted && !backlogged)
                {
                    break;
                }
            }

            // The sender completed its output: deliver what is on the line, then close the link.
            lock (_gate)
            {
                _senderFinished = true;
            }

            SignalArrival();
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            _link.BeginShutdown("the emulated line failed", error);
        }
        finally
        {
            await reader.CompleteAsync(_link.ClosedException(_senderName)).ConfigureAwait(false);
            _transmitterStopped = true;
        }
    }

    private void Transmit(ReadOnlySequence<byte> bytes, long now, bool backlogged)
    {
        _clock.BeginBatch(now, backlogged);
        if (_lineCut)
        {
            // The cable is pulled: the sender's UART still clocks the bytes out, nobody receives them.
            _clock.TakeBytes(bytes.Length);
            Counters.AddTransmitted(bytes.Length);
            Counters.AddLostOnCutLine(bytes.Length);
            return;
        }

        List<WireChunk> chunks;
        if (_impairer is null)
        {
            long first = _clock.TakeBytes(bytes.Length);
            chunks = [new WireChunk(bytes.ToArray(), (int)bytes.Length, _clock.Anchor, first, isBurst: false)];
            CountFrames(bytes);
        }
        else
        {
            _builder.Begin(_clock.Anchor);
            foreach (ReadOnlyMemory<byte> segment in bytes)
            {
                foreach (byte value in segment.Span)
                {
                    _impairer.Transmit(value, _clock.NextByte(), _builder);
                }
            }

            chunks = [.. _builder.Finish()];
        }

        Counters.AddTransmitted(bytes.Length);
        if (chunks.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (WireChunk chunk in chunks)
            {
                _inFlight.Enqueue(chunk);
            }
        }

        SignalArrival();
    }

    /// <summary>Pulls the cable (<paramref name="cut"/> true): bytes on the line are lost, bytes sent from now on
    /// vanish, both ends stay open. Plugging it back in (false) lets bytes sent from then on through.</summary>
    public void SetLineCut(bool cut)
    {
        lock (_gate)
        {
            _lineCut = cut;
            if (cut)
            {
                long lost = 0;
                foreach (WireChunk chunk in _inFlight)
                {
                    lost += chunk.Length - chunk.Delivered;
                }

                _inFlight.Clear();
                Counters.AddLostOnCutLine(lost);
            }
        }
    }

    /// <summary>Counts the non-empty 0x00-terminated frames on the transparent path (the impairer counts its own).</summary>
    private void CountFrames(ReadOnlySequence<byte> bytes)
    {
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            ReadOnlySpan<byte> rest = segment.Span;
            while (!rest.IsEmpty)
            {
                int delimiter = rest.IndexOf((byte)0);
                if (delimiter < 0)
                {
                    _inFrame = true;
                    break;
                }

                if (_inFrame || delimiter > 0)
                {
                    Counters.FrameTransmitted();
                }

                _inFrame = false;
                rest = rest[(delimiter + 1)..];
            }
        }
    }

    private void SignalArrival()
    {
        TaskCompletionSource? arrival;
        lock (_gate)
        {
            arrival = _arrival;
            _arrival = null;
        }

        arrival?.TrySetResult();
    }

    private async Task DeliveryLoopAsync(Task transmittersStopped, CancellationToken stop)
    {
        PipeWriter writer = _receive.Writer;
        bool receiverGone = false;
        try
        {
            while (true)
            {
                long now = _time.GetTimestamp();
                long wakeAt = now;
                int delivered = 0;
                Task? arrival = null;
                bool finished = false;
                lock (_gate)
                {
                    while (_inFlight.TryPeek(out WireChunk? chunk))
                    {
                        int arrived = chunk.ArrivedBeyondDelivered(_clock.LastArrived(chunk.Anchor, now));
                        if (arrived > 0)
                        {
                            if (!receiverGone)
                            {
                                writer.Write(chunk.Data.AsSpan(chunk.Delivered, arrived));
                            }

                            chunk.Delivered += arrived;
                            delivered += arrived;
                        }

                        if (chunk.Delivered < chunk.Length)
                        {
                            wakeAt = _clock.DueOf(chunk.Anchor, chunk.NextNumber);
                            break;
                        }

                        _inFlight.Dequeue();
                    }

                    if (_inFlight.Count == 0)
                    {
                        if (_senderFinished)
                        {
                            finished = true;
                        }
                        else
                        {
                            _arrival = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                            arrival = _arrival.Task;
                        }
                    }
                }

                if (delivered > 0)
                {
                    Counters.AddDelivered(delivered);
                    if (!receiverGone)
                    {
                        FlushResult flush = await writer.FlushAsync(stop).ConfigureAwait(false);
                        receiverGone = flush.IsCompleted; // the receiving end completed its input: discard from now on
                    }
                }

                if (finished)
                {
                    _link.BeginShutdown($"{_senderName} closed its output", null);
                    break;
                }

                if (arrival is not null)
                {
                    Volatile.Write(ref _deliveryWait, arrival);
                    await arrival.WaitAsync(stop).ConfigureAwait(false);
                }
                else
                {
                    TimeSpan sleep = _clock.ToTimeSpan(wakeAt - now);
                    Task timer = Task.Delay(sleep < DeliveryQuantum ? DeliveryQuantum : sleep, _time, stop);
                    Volatile.Write(ref _deliveryWait, timer);
                    await timer.ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception error)
        {
            _link.BeginShutdown("the emulated line failed", error);
        }
        finally
        {
            // The senders' pipes are completed first, so a reader that sees IsCompleted can rely on its next write failing.
            await transmittersStopped.ConfigureAwait(false);
            await writer.CompleteAsync().ConfigureAwait(false);
            _deliveryStopped = true;
        }
    }
}

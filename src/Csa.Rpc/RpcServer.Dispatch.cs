using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcServer
{
    private long _commandsExecuted;
    private long _answersReplayed;
    private long _duplicatesIgnored;
    private long _busyRejections;
    private long _malformedPackets;
    private int _active;
    private int _peakActive;

    /// <summary>A snapshot of the server's counters.</summary>
    public RpcServerStatistics GetStatistics() => new(
        Interlocked.Read(ref _commandsExecuted),
        Interlocked.Read(ref _answersReplayed),
        Interlocked.Read(ref _duplicatesIgnored),
        Interlocked.Read(ref _busyRejections),
        Interlocked.Read(ref _malformedPackets),
        Volatile.Read(ref _peakActive),
        Interlocked.Read(ref _eventsPublished));

    // The only reader of the socket. Decisions about a packet (answer from cache, ignore, reject, execute) are
    // taken here in arrival order, and never wait for a command to run: a command is handed to its source's queue
    // (arrival order, SourceQueues) or, for a service registered Concurrent, to a task of its own.
    private async Task ReadLoopAsync()
    {
        ChannelReader<InboundPacket> inbound = _socket.Inbound;
        CancellationToken token = _shutdown.Token;
        try
        {
            while (await inbound.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (inbound.TryRead(out InboundPacket? packet))
                    await HandlePacketAsync(packet, token).ConfigureAwait(false);
            }
            _completion.TrySetResult(); // the socket was closed under us
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // disposed; DisposeAsync completes Completion once the executing commands are done
        }
#pragma warning disable CA1031 // Whatever ended the stream is reported through Completion.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Exception cause = ex is ChannelClosedException { InnerException: { } inner } ? inner : ex;
            var failure = cause as DataLinkException ?? new DataLinkException($"The RPC server's socket {_socket.LocalEndpoint} failed: {cause.Message}", cause);
            RpcLog.ServerLinkLost(_logger, failure);
            _completion.TrySetException(failure);
        }
    }

    private async Task HandlePacketAsync(InboundPacket packet, CancellationToken token)
    {
        if (!RpcPacket.TryParse(packet.Payload, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out RpcPacketError error))
        {
            Interlocked.Increment(ref _malformedPackets);
            RpcLog.ServerMalformedPacket(_logger, packet.Source, error);
            if (_options.AnswerMalformedPackets && ShouldAnswerMalformed(packet.Payload.Span, error))
            {
                ReadOnlySpan<byte> raw = packet.Payload.Span;
                var echo = new RpcPacketHeader(
                    RpcPacketKind.Error,
                    RpcPacketFlags.None,
                    BinaryPrimitives.ReadUInt16LittleEndian(raw[2..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(raw[4..]),
                    BinaryPrimitives.ReadUInt16LittleEndian(raw[6..]));
                string text = RpcPacket.Describe(error, raw.Length, raw[0], raw[1]);
                await SendAnswerAsync(packet.Source, echo.RequestId, ErrorPacket(echo, (ushort)RpcStatus.BadPacket, text), token).ConfigureAwait(false);
            }
            return;
        }
        if (header.Kind != RpcPacketKind.Command)
        {
            RpcLog.ServerUnexpectedKind(_logger, packet.Source, header.Kind);
            return;
        }
        if (payload.Length > _options.MaxRequestPayloadSize)
        {
            await SendErrorAsync(packet.Source, header, RpcStatus.BadPayload,
                $"The request payload is {payload.Length} bytes; this node accepts at most {_options.MaxRequestPayloadSize}.", token).ConfigureAwait(false);
            return;
        }
        if (!_services.TryGetValue(header.InterfaceId, out Registration? registration))
        {
            await SendErrorAsync(packet.Source, header, RpcStatus.UnknownInterface,
                $"This node has no interface 0x{header.InterfaceId:X4}.", token).ConfigureAwait(false);
            return;
        }

        RequestFingerprint fingerprint = RequestFingerprint.Of(header, payload.Span);
        switch (_cache.BeginOrReplay(packet.Source, header.RequestId, fingerprint, out byte[]? cached))
        {
            case CacheLookup.Answered:
                Interlocked.Increment(ref _answersReplayed);
                RpcLog.ReplayedFromCache(_logger, packet.Source, header.RequestId);
                await SendAnswerAsync(packet.Source, header.RequestId, cached!, token).ConfigureAwait(false);
                return;
            case CacheLookup.Executing:
                Interlocked.Increment(ref _duplicatesIgnored);
                RpcLog.DuplicateWhileExecuting(_logger, packet.Source, header.RequestId);
                return;
            case CacheLookup.Stale:
                Interlocked.Increment(ref _duplicatesIgnored);
                RpcLog.StaleDuplicate(_logger, packet.Source, header.RequestId);
                return;
        }

        if (!_slots.Wait(0))
        {
            if (_options.OverloadPolicy == RpcOverloadPolicy.RejectBusy)
            {
                _cache.Complete(packet.Source, header.RequestId, fingerprint, answer: null); // not taken: nothing to replay
                Interlocked.Increment(ref _busyRejections);
                RpcLog.RejectedBusy(_logger, packet.Source, header.RequestId, _options.MaxConcurrentRequests);
                await SendErrorAsync(packet.Source, header, RpcStatus.Busy,
                    $"This node is executing {_options.MaxConcurrentRequests} request(s); send again later.", token).ConfigureAwait(false);
                return;
            }
            await _slots.WaitAsync(token).ConfigureAwait(false);
        }

        int active = Interlocked.Increment(ref _active);
        UpdatePeak(active);
        IRpcService service = registration.Service;
        Endpoint source = packet.Source;
        Task? execution = registration.Execution == RpcExecution.Concurrent
            ? Task.Run(() => ExecuteAsync(service, source, header, payload, fingerprint, token), CancellationToken.None)
            : _queues.Enqueue(source, () => ExecuteAsync(service, source, header, payload, fingerprint, token));
        if (execution is not null)
            Track(execution);
    }

    // DisposeAsync waits for every task that runs commands: a source's drain, or a concurrent command.
    private void Track(Task execution)
    {
        _executing.TryAdd(execution, 0);
        _ = execution.ContinueWith(static (done, state) => ((RpcServer)state!)._executing.TryRemove(done, out _), this,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ExecuteAsync(IRpcService service, Endpoint source, RpcPacketHeader header, ReadOnlyMemory<byte> payload, RequestFingerprint fingerprint, CancellationToken token)
    {
        byte[] answer;
        bool replayable = true;
        if (token.IsCancellationRequested)
        {
            // Shutting down while it waited for its turn: it never starts, and the receive buffer is given back.
            _cache.Complete(source, header.RequestId, fingerprint, answer: null);
            FreeSlot();
            return;
        }
        try
        {
            var response = new ArrayBufferWriter<byte>(64);
            RpcPacket.WriteHeader(response, header.AnswerWith(RpcPacketKind.Response));
            Interlocked.Increment(ref _commandsExecuted);
            // The service appends its payload after the header already in the buffer: no copy.
            await service.DispatchAsync(new RpcServerCall(source, header.MessageId, payload, response), token).ConfigureAwait(false);
            answer = response.WrittenSpan.ToArray();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            _cache.Complete(source, header.RequestId, fingerprint, answer: null);
            FreeSlot();
            return; // shutting down: no answer
        }
        catch (RpcErrorException ex)
        {
            answer = ErrorPacket(header.AnswerWith(RpcPacketKind.Error), ex.ErrorCode, ex.Message);
            replayable = ex.ErrorCode != (ushort)RpcStatus.Busy; // busy means "not done": a repeat must execute
        }
        catch (RpcDecodeException ex)
        {
            answer = ErrorPacket(header.AnswerWith(RpcPacketKind.Error), (ushort)RpcStatus.BadPayload, ex.Message);
        }
#pragma warning disable CA1031 // A handler's bug becomes an InternalError answer; the server keeps serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            RpcLog.HandlerFailed(_logger, ex, source, header.InterfaceId, header.MessageId);
            // Sanitized: exception text can hold paths, keys or memory contents that must not leave the device.
            answer = ErrorPacket(header.AnswerWith(RpcPacketKind.Error), (ushort)RpcStatus.InternalError,
                $"Command 0x{header.MessageId:X4} of interface 0x{header.InterfaceId:X4} failed inside the node.");
        }

        _cache.Complete(source, header.RequestId, fingerprint, replayable ? AsReplay(answer) : null);
        // Free the slot before answering: the client may send its next request the moment the answer arrives.
        FreeSlot();
        await SendAnswerAsync(source, header.RequestId, answer, token).ConfigureAwait(false);
    }

    private void FreeSlot()
    {
        Interlocked.Decrement(ref _active);
        _slots.Release();
    }

    private void UpdatePeak(int active)
    {
        int peak = Volatile.Read(ref _peakActive);
        while (active > peak)
        {
            int seen = Interlocked.CompareExchange(ref _peakActive, active, peak);
            if (seen == peak)
                return;
            peak = seen;
        }
    }

    private Task SendErrorAsync(Endpoint destination, in RpcPacketHeader request, RpcStatus status, string message, CancellationToken token) =>
        SendAnswerAsync(destination, request.RequestId, ErrorPacket(request.AnswerWith(RpcPacketKind.Error), (ushort)status, message), token);

    private async Task SendAnswerAsync(Endpoint destination, ushort requestId, byte[] packet, CancellationToken token)
    {
        try
        {
            await _socket.SendAsync(destination, packet, token).ConfigureAwait(false);
        }
        catch (DataLinkException ex)
        {
            // The answer is cached (when replayable): the client's resend of the same id gets it.
            RpcLog.AnswerSendFailed(_logger, ex, destination, requestId);
        }
    }

    // Only commands get an error back: answering a malformed answer or event could start two nodes bouncing errors.
    private static bool ShouldAnswerMalformed(ReadOnlySpan<byte> raw, RpcPacketError error)
    {
        if (raw.Length < RpcPacketHeader.Size || error == RpcPacketError.MissingErrorCode)
            return false;
        var kindNibble = (RpcPacketKind)(raw[0] & 0x0F);
        return kindNibble is not (RpcPacketKind.Response or RpcPacketKind.Error or RpcPacketKind.Event);
    }

    private static byte[] ErrorPacket(in RpcPacketHeader header, ushort code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(RpcPacketHeader.Size + RpcPacket.ErrorCodeSize + 32);
        RpcPacket.WriteError(buffer, header, code, message);
        return buffer.WrittenSpan.ToArray();
    }

    // The cached copy carries the Resend flag: a replay says so on the wire.
    private static byte[] AsReplay(byte[] answer)
    {
        byte[] replay = (byte[])answer.Clone();
        replay[1] |= (byte)RpcPacketFlags.Resend;
        return replay;
    }
}

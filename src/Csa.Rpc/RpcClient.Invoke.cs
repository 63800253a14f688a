using Csa.DataLink;
using Csa.Rpc.Internal;

namespace Csa.Rpc;

public sealed partial class RpcClient
{
    /// <inheritdoc />
    /// <exception cref="RpcEncodeException">The request violates a declared field size; nothing was sent.</exception>
    /// <exception cref="RpcDecodeException">The device's response could not be decoded as <typeparamref name="TResponse"/>.</exception>
    /// <exception cref="RpcLinkLostException">The link was lost while the call was pending.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(
        NodeAddress device,
        ushort interfaceId,
        ushort commandId,
        TRequest request,
        RpcCallOptions? options,
        CancellationToken cancellationToken)
        where TRequest : IRpcMessage<TRequest>
        where TResponse : IRpcMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(request);
        // Encode before taking a window slot: a request that cannot be encoded never occupies the device.
        var packet = PreparedPacket.Encode(RpcPacketKind.Command, interfaceId, commandId, request);
        RpcReply reply = await CallAsync(device, packet, options, cancellationToken).ConfigureAwait(false);
        return RpcMessages.Decode<TResponse>(reply.Payload.Span);
    }

    /// <summary>
    /// Sends a command whose payload is already encoded and returns the raw response payload: for tools that work
    /// without generated types (a command line, a protocol explorer, Python scripts).
    /// </summary>
    /// <param name="device">The device to call.</param>
    /// <param name="interfaceId">The interface id.</param>
    /// <param name="commandId">The command id within the interface.</param>
    /// <param name="payload">The encoded request payload.</param>
    /// <param name="options">How the call is made; null takes the client's defaults.</param>
    /// <param name="cancellationToken">Cancels the call; its window slot and request id are freed at once.</param>
    /// <returns>The response payload.</returns>
    /// <exception cref="RpcErrorException">The device answered with an error.</exception>
    /// <exception cref="RpcTimeoutException">No response after every allowed attempt.</exception>
    /// <exception cref="DataLinkException">The link failed (<see cref="RpcLinkLostException"/> when it was lost; <see cref="NodeUnreachableException"/> when the link to the device closed while the call waited).</exception>
    public async Task<byte[]> InvokeRawAsync(
        NodeAddress device,
        ushort interfaceId,
        ushort commandId,
        byte[] payload,
        RpcCallOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var packet = PreparedPacket.FromPayload(RpcPacketKind.Command, interfaceId, commandId, payload);
        RpcReply reply = await CallAsync(device, packet, options, cancellationToken).ConfigureAwait(false);
        return reply.Payload.ToArray();
    }

    /// <summary>Runs one call: takes a window slot, sends and resends, and returns the response (never an error reply).</summary>
    private async Task<RpcReply> CallAsync(NodeAddress device, PreparedPacket packet, RpcCallOptions? options, CancellationToken cancellationToken)
    {
        ThrowIfClosed();
        DeviceState state = GetDevice(device);
        TimeSpan timeout = options?.Timeout ?? _options.DefaultTimeout;
        int maxAttempts = options?.MaxAttempts ?? _options.MaxAttempts;
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "The call timeout must be positive.");
        if (maxAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(options), maxAttempts, "A call is sent at least once.");

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        CancellationToken token = linked.Token;
        bool idempotent = options?.Idempotent ?? false;
        var budget = new AttemptBudget(maxAttempts);
        try
        {
            // Every request id takes its own window slot, so the replay-window bound counts it.
            (DeviceWindow window, long ticket) = await state.EnterAsync(_socket, _options.MaxRequestsInFlight, token).ConfigureAwait(false);
            while (true)
            {
                var turn = new SendTurn(window, ticket);
                RpcReply? reply;
                try
                {
                    reply = await SendAndAwaitAsync(state, packet, timeout, budget, idempotent, turn, token).ConfigureAwait(false);
                }
                finally
                {
                    turn.End(); // when it never got to send (cancelled while waiting for its turn, a failure)
                    window.Release(ticket);
                }
                if (reply is { } answer)
                    return answer;
                await Task.Delay(_options.RetryDelay, _time, token).ConfigureAwait(false);
                ticket = await window.EnterAsync(token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && IsClosed)
        {
            throw CreateClosedException();
        }
    }

    /// <summary>
    /// Sends one request id until it is answered or the attempts run out. Returns null when the send itself failed
    /// and the call is idempotent: the caller then tries again under a new id.
    /// </summary>
    private async Task<RpcReply?> SendAndAwaitAsync(
        DeviceState device,
        PreparedPacket packet,
        TimeSpan timeout,
        AttemptBudget budget,
        bool idempotent,
        SendTurn turn,
        CancellationToken token)
    {
        var destination = new Endpoint(device.Node, _options.RemotePort);
        ushort interfaceId = packet.Header.InterfaceId;
        ushort commandId = packet.Header.MessageId;
        // The first transmission leaves in window order (FIFO from the moment the call asked for its slot), after every
        // call admitted before it handed its own to the link; request ids are taken in that order too.
        await turn.WaitAsync(token).ConfigureAwait(false);
        ushort requestId = AllocateRequestId(device);
        var key = new PendingKey(device.Node.Value, requestId);
        var call = new PendingCall(interfaceId, commandId);
        _pending[key] = call;
        bool resend = false;
        try
        {
            while (true)
            {
                budget.Used++;
                try
                {
                    await _socket.SendAsync(destination, packet.Stamp(requestId, resend ? RpcPacketFlags.Resend : RpcPacketFlags.None), token).ConfigureAwait(false);
                    turn.End(); // handed to the link: the next call's first transmission may go (resends keep no order)
                }
                catch (DataLinkException ex) when (idempotent && budget.Remaining > 0 && !IsClosed)
                {
                    // The fate of this id is unknown (the device may even have restarted and lost its cache). An
                    // idempotent command may run again, so it goes out as a new request.
                    RpcLog.SendFailedRetrying(_logger, ex, device.Node, requestId);
                    return null;
                }

                RpcReply reply;
                // The link the request went out on may close under it (a port that vanished): no answer can come back
                // over it, so the wait ends then, not at the timeout.
                CancellationToken routeClosed = _socket.RouteClosedToken(device.Node);
                using CancellationTokenSource? watch = routeClosed.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(token, routeClosed) : null;
                try
                {
                    reply = await call.Reply.Task.WaitAsync(timeout, _time, watch?.Token ?? token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (routeClosed.IsCancellationRequested && !token.IsCancellationRequested)
                {
                    throw new NodeUnreachableException(device.Node,
                        $"The link to {device.Node} closed while command 0x{commandId:X4} of interface 0x{interfaceId:X4} (request 0x{requestId:X4}) " +
                        "waited for its answer; whether it executed is unknown.");
                }
                catch (TimeoutException) when (budget.Remaining > 0)
                {
                    RpcLog.Resending(_logger, device.Node, requestId, interfaceId, commandId, budget.Used + 1, budget.Max);
                    resend = true;
                    continue;
                }
                catch (TimeoutException)
                {
                    throw new RpcTimeoutException(
                        $"{device.Node} did not answer command 0x{commandId:X4} of interface 0x{interfaceId:X4} " +
                        $"(request 0x{requestId:X4}) after {budget.Max} attempt(s) of {timeout.TotalMilliseconds:0.###} ms each; " +
                        "whether it executed is unknown.");
                }

                if (reply.Header.Kind == RpcPacketKind.Response)
                    return reply;

                RpcPacket.TryReadError(reply.Payload.Span, out ushort code, out string message);
                if (code == (ushort)RpcStatus.Busy && budget.Remaining > 0)
                {
                    // Busy means the device did not take the request (and cached nothing): send it again after a pause.
                    RpcLog.DeviceBusy(_logger, device.Node, requestId);
                    call = new PendingCall(interfaceId, commandId);
                    _pending[key] = call;
                    await Task.Delay(_options.RetryDelay, _time, token).ConfigureAwait(false);
                    resend = true;
                    continue;
                }
                throw CreateDeviceError(device.Node, interfaceId, commandId, code, message);
            }
        }
        finally
        {
            // Frees the request id; an answer that still arrives finds no one waiting and is dropped.
            _pending.TryRemove(new KeyValuePair<PendingKey, PendingCall>(key, call));
        }
    }

    internal static RpcErrorException CreateDeviceError(NodeAddress device, ushort interfaceId, ushort commandId, ushort code, string message)
    {
        string codeText = code >= (ushort)RpcStatus.FirstReserved && Enum.IsDefined((RpcStatus)code)
            ? $"{(RpcStatus)code} (0x{code:X4})"
            : $"error 0x{code:X4}";
        string text = message.Length == 0
            ? $"{device} answered command 0x{commandId:X4} of interface 0x{interfaceId:X4} with {codeText}."
            : $"{device} answered command 0x{commandId:X4} of interface 0x{interfaceId:X4} with {codeText}: {message}";
        return new RpcErrorException(interfaceId, code, text);
    }

    /// <summary>One admitted request's turn to hand its first transmission to the link (<see cref="DeviceWindow.WaitTurnAsync"/>); ended once.</summary>
    private sealed class SendTurn(DeviceWindow window, long ticket)
    {
        private int _ended;

        public Task WaitAsync(CancellationToken cancellationToken) => window.WaitTurnAsync(ticket, cancellationToken);

        public void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
                window.EndTurn(ticket);
        }
    }

    /// <summary>How many transmissions a call has used of the ones it may make, across its request ids.</summary>
    private sealed class AttemptBudget(int max)
    {
        public int Max { get; } = max;

        public int Used { get; set; }

        public int Remaining => Max - Used;
    }
}

namespace Csa.Rpc.Internal;

/// <summary>
/// The async gate in front of one device: admits at most <see cref="Capacity"/> requests at once (the device's
/// receive buffers) and never admits a request <see cref="RpcProtocol.ReplayWindow"/> or more places after the
/// oldest one still unanswered, so every request that may be resent still has its response in the device's cache.
/// Waiters are admitted first come, first served, and leave in that order: each admitted request gets the next ticket,
/// and its first transmission waits for its turn (<see cref="WaitTurnAsync"/>) until every request admitted before it
/// has handed its own to the link (<see cref="EndTurn"/>). The continuations of admitted waiters run on the thread pool,
/// in any order; the turn, not the scheduling, keeps the order on the wire.
/// </summary>
internal sealed class DeviceWindow
{
    private readonly object _lock = new();
    private readonly SortedSet<long> _outstanding = new();
    private readonly LinkedList<TaskCompletionSource<long>> _waiters = new();
    private readonly int _replayWindow;
    private long _nextTicket;

    // The ticket whose first transmission may go now; tickets after it that ended their turn early (cancelled, or
    // failed before sending) are skipped when it ends; waiters for a later turn by ticket.
    private long _turn;
    private readonly SortedSet<long> _endedEarly = new();
    private readonly Dictionary<long, TaskCompletionSource> _turnWaiters = [];

    public DeviceWindow(int capacity, int replayWindow = RpcProtocol.ReplayWindow)
    {
        Capacity = capacity;
        _replayWindow = replayWindow;
    }

    /// <summary>How many requests may be in flight at once.</summary>
    public int Capacity { get; }

    /// <summary>Requests admitted and not released yet.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
                return _outstanding.Count;
        }
    }

    /// <summary>Waits for a free slot; returns the ticket to hand to <see cref="Release"/>.</summary>
    public async Task<long> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<long> waiter;
        LinkedListNode<TaskCompletionSource<long>> node;
        lock (_lock)
        {
            if (_waiters.Count == 0 && CanAdmit())
                return Admit();
            cancellationToken.ThrowIfCancellationRequested();
            waiter = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiters.AddLast(waiter);
        }
        using (cancellationToken.Register(() => Abandon(node, cancellationToken)))
            return await waiter.Task.ConfigureAwait(false);
    }

    /// <summary>Frees the slot of <paramref name="ticket"/> and admits the next waiters that fit.</summary>
    public void Release(long ticket)
    {
        lock (_lock)
        {
            _outstanding.Remove(ticket);
            while (_waiters.First is { } first && CanAdmit())
            {
                _waiters.RemoveFirst();
                first.Value.SetResult(Admit());
            }
        }
    }

    /// <summary>
    /// Completes when <paramref name="ticket"/> may hand its first transmission to the link: every ticket before it
    /// has ended its turn. The caller ends its own with <see cref="EndTurn"/> once that transmission was handed over
    /// (or will never be), whatever happened, cancellation included.
    /// </summary>
    public Task WaitTurnAsync(long ticket, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (ticket == _turn)
                return Task.CompletedTask;
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _turnWaiters.Add(ticket, waiter);
        }
        return waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Ends the turn of <paramref name="ticket"/> (once per ticket): the next ticket's first transmission may go.</summary>
    public void EndTurn(long ticket)
    {
        TaskCompletionSource? next;
        lock (_lock)
        {
            _turnWaiters.Remove(ticket);
            if (ticket != _turn)
            {
                _endedEarly.Add(ticket); // its turn is skipped when it comes
                return;
            }
            _turn++;
            while (_endedEarly.Remove(_turn))
                _turn++;
            _turnWaiters.Remove(_turn, out next);
        }
        next?.TrySetResult();
    }

    private void Abandon(LinkedListNode<TaskCompletionSource<long>> node, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // Still queued: never admitted, so there is no slot to give back. Once admitted it is the caller's to release.
            if (node.List is null)
                return;
            _waiters.Remove(node);
            node.Value.SetCanceled(cancellationToken);
        }
    }

    private bool CanAdmit() =>
        _outstanding.Count < Capacity && (_outstanding.Count == 0 || _nextTicket - _outstanding.Min < _replayWindow);

    private long Admit()
    {
        long ticket = _nextTicket++;
        _outstanding.Add(ticket);
        return ticket;
    }
}

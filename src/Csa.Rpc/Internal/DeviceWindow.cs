namespace Csa.Rpc.Internal;

/// <summary>
/// The async gate in front of one device: admits at most <see cref="Capacity"/> requests at once (the device's
/// receive buffers) and never admits a request <see cref="RpcProtocol.ReplayWindow"/> or more places after the
/// oldest one still unanswered, so every request that may be resent still has its response in the device's cache.
/// Waiters are admitted first come, first served.
/// </summary>
internal sealed class DeviceWindow
{
    private readonly object _lock = new();
    private readonly SortedSet<long> _outstanding = new();
    private readonly LinkedList<TaskCompletionSource<long>> _waiters = new();
    private readonly int _replayWindow;
    private long _nextTicket;

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

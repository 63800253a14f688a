using Csa.DataLink;

namespace Csa.Rpc.Internal;

/// <summary>What the client keeps per device: its request id counter and its window (created from its capabilities).</summary>
internal sealed class DeviceState(NodeAddress node, ushort firstRequestId)
{
    private readonly object _lock = new();
    private readonly List<EarlyEntry> _early = [];
    private ushort _nextRequestId = firstRequestId;
    private DeviceWindow? _window;
    private Task<DeviceWindow>? _query;

    public NodeAddress Node { get; } = node;

    public DeviceWindow? Window => Volatile.Read(ref _window);

    /// <summary>
    /// Takes a place in the device's window in the order calls ask for one, and completes with the window and the ticket
    /// once admitted (<see cref="DeviceWindow.EnterAsync"/>). Before the window exists, the calls wait for the device's
    /// capabilities (one query for all of them) in a list of their own, and enter the window in that order when it opens,
    /// ahead of any call that comes later: the first burst of calls to a device leaves in issue order too.
    /// </summary>
    public Task<(DeviceWindow Window, long Ticket)> EnterAsync(IPacketSocket socket, int? localLimit, CancellationToken cancellationToken)
    {
        DeviceWindow? window = Volatile.Read(ref _window);
        if (window is null)
        {
            lock (_lock)
            {
                window = _window;
                if (window is null)
                {
                    var entry = new EarlyEntry(cancellationToken);
                    _early.Add(entry);
                    StartQuery(socket, localLimit);
                    return entry.Task;
                }
            }
        }
        return EnterOpenAsync(window, cancellationToken);
    }

    /// <summary>
    /// The window, created on first use from what the device advertises. Calls that start together share one query
    /// (many first calls must not each ask the device, and each risk a lost answer on a lossy line); a failed query is
    /// not cached, the next call asks again.
    /// </summary>
    public async Task<DeviceWindow> GetWindowAsync(IPacketSocket socket, int? localLimit, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _window) is { } existing)
            return existing;
        Task<DeviceWindow> query;
        lock (_lock)
        {
            if (_window is { } opened)
                return opened;
            query = StartQuery(socket, localLimit);
        }

        return await query.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    // The synchronous part enqueues the call in the window before this returns: the caller's order is kept.
    private static async Task<(DeviceWindow Window, long Ticket)> EnterOpenAsync(DeviceWindow window, CancellationToken cancellationToken) =>
        (window, await window.EnterAsync(cancellationToken).ConfigureAwait(false));

    // Under _lock.
    private Task<DeviceWindow> StartQuery(IPacketSocket socket, int? localLimit)
    {
        if (_query is null || _query.IsFaulted || _query.IsCanceled)
            _query = QueryAsync(socket, localLimit);
        return _query;
    }

    // Not tied to one caller's token: the others wait for it too. The data link bounds it (attempts x timeout).
    private async Task<DeviceWindow> QueryAsync(IPacketSocket socket, int? localLimit)
    {
        DeviceWindow created;
        try
        {
            NodeCapabilities capabilities = await socket.GetCapabilitiesAsync(Node, CancellationToken.None).ConfigureAwait(false);
            // A device that advertises 0 buffers can still take one request at a time (it must, to be usable at all).
            int capacity = Math.Max(1, (int)capabilities.ReceiveBuffers);
            if (localLimit is int limit)
                capacity = Math.Min(capacity, limit);
            created = new DeviceWindow(capacity);
        }
        catch (Exception ex)
        {
            lock (_lock)
            {
                _query = null; // a call that comes while this task is still finishing asks again, it does not wait for this one
                foreach (EarlyEntry entry in _early)
                    entry.Fail(ex);
                _early.Clear();
            }
            throw;
        }
        lock (_lock)
        {
            // The calls that waited for the query enter first, in the order they asked; later calls find the window
            // published only after them.
            foreach (EarlyEntry entry in _early)
                entry.Enter(created);
            _early.Clear();
            Volatile.Write(ref _window, created);
        }
        return created;
    }

    /// <summary>The next request id that is not in use for this device.</summary>
    public ushort AllocateRequestId(Func<ushort, bool> inUse)
    {
        lock (_lock)
        {
            // At most ReplayWindow ids are outstanding per device, so this loop ends after a few steps.
            ushort id;
            do
            {
                id = _nextRequestId++;
            }
            while (inUse(id));
            return id;
        }
    }

    /// <summary>A call that asked for a window slot before the window existed.</summary>
    private sealed class EarlyEntry
    {
        private readonly TaskCompletionSource<(DeviceWindow Window, long Ticket)> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationToken _cancellationToken;
        private readonly CancellationTokenRegistration _registration;

        public EarlyEntry(CancellationToken cancellationToken)
        {
            _cancellationToken = cancellationToken;
            _registration = cancellationToken.Register(static s =>
            {
                var entry = (EarlyEntry)s!;
                entry._done.TrySetCanceled(entry._cancellationToken);
            }, this);
        }

        public Task<(DeviceWindow Window, long Ticket)> Task => _done.Task;

        /// <summary>Takes the call's place in <paramref name="window"/> now (its order among the early calls).</summary>
        public void Enter(DeviceWindow window)
        {
            _registration.Dispose();
            if (_done.Task.IsCompleted)
                return; // cancelled while the device was asked
            window.EnterAsync(_cancellationToken).ContinueWith(entered =>
            {
                if (entered.IsCompletedSuccessfully)
                {
                    if (!_done.TrySetResult((window, entered.Result)))
                    {
                        window.EndTurn(entered.Result); // nobody takes the slot: give the turn and the slot back
                        window.Release(entered.Result);
                    }
                }
                else
                {
                    _done.TrySetCanceled(_cancellationToken);
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        public void Fail(Exception cause)
        {
            _registration.Dispose();
            _done.TrySetException(cause);
        }
    }
}

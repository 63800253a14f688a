using Csa.Bootloader.Images;
using Csa.DataLink;
using Csa.Rpc;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>What one device brings to a transfer to a group, after its own BeginUpdate was accepted.</summary>
/// <param name="Device">The device, in its bootloader.</param>
/// <param name="ResumeOffset">What its BeginUpdate answered: it holds the payload below this.</param>
/// <param name="ChunkSize">The largest write it and its path take (the unicast chunk size).</param>
/// <param name="Window">
/// How many writes it may have in flight to begin with: its receive buffers, plus one frame on each hop in front of it
/// (on a chain), at most the replay window less one.
/// </param>
/// <param name="Buffers">How many writes its receive buffers alone hold: the window it falls back to after a Busy answer.</param>
/// <param name="Allowance">How long one of its writes may take to be answered (command timeout plus its erase allowance).</param>
/// <param name="Progress">Called (outside any lock) with the payload bytes it now holds and the bytes of writes it just acknowledged.</param>
internal sealed record MulticastJoin(DeviceInfo Device, uint ResumeOffset, int ChunkSize, int Window, int Buffers, TimeSpan Allowance, Action<long, long> Progress);

/// <summary>How a device's part in a transfer to a group ended (a device that was left behind gets an exception instead).</summary>
internal enum MulticastOutcome
{
    /// <summary>It holds every block: it goes on to FinishUpdate.</summary>
    Complete,

    /// <summary>It could not join (the transfer is over, its writes are smaller, it joins no group): it writes by itself.</summary>
    NotJoined,
}

/// <summary>
/// One payload written once to a group of devices (docs/updates.md section 10a): every member's UpdateRun does its own
/// BeginUpdate, then hands itself to <see cref="TransferAsync"/>; once the expected members are there (or
/// <see cref="UpdateOptions.MulticastFormationTimeout"/> after the first), one Write per block goes to the group,
/// flow-controlled to the slowest member's receive buffers; then each member is asked for its missing blocks
/// (GetMissingBlocks), and what any of them misses is sent again, to the group when several miss it, to the one member
/// otherwise, until every member holds everything. A member that does not answer, answers an error or restarts is left
/// behind at once (its TransferAsync throws the fault, and its UpdateRun resumes by itself, by unicast): it never holds
/// up the others.
/// </summary>
internal sealed partial class MulticastTransfer : IAsyncDisposable
{
    private readonly DeviceNetwork _network;
    private readonly UpdateOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ReadOnlyMemory<byte> _payload;
    private readonly object _lock = new();
    private readonly HashSet<DeviceUid> _expected;
    private readonly Dictionary<DeviceUid, Member> _members = [];
    private readonly HashSet<DeviceUid> _left = [];
    private readonly List<Task> _leaves = []; // under _leavesLock; waited for before the group address is given back
    private readonly object _leavesLock = new();
    private readonly TaskCompletionSource _formed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Phase _phase = Phase.Forming;
    private ITimer? _formationTimer;
    private Task _run = Task.CompletedTask;
    private int _chunk;
    private int _disposed;

    public MulticastTransfer(DeviceNetwork network, UpdateOptions options, ILogger logger, NodeAddress group, ReadOnlyMemory<byte> payload, IEnumerable<DeviceUid> expected)
    {
        _network = network;
        _options = options;
        _logger = logger;
        _time = options.TimeProvider;
        Group = group;
        _payload = payload;
        _expected = [.. expected];
    }

    private enum Phase
    {
        Forming,
        Streaming,
        Repairing,
        Ended,
    }

    /// <summary>The group address the payload goes to.</summary>
    public NodeAddress Group { get; }

    private string GroupName => Group.ToString();

    /// <summary>
    /// Takes part in the transfer: joins the device to the group and returns once it holds every block
    /// (<see cref="MulticastOutcome.Complete"/>), or at once with <see cref="MulticastOutcome.NotJoined"/> when it cannot
    /// take part. Throws the fault that left it behind (a timeout, an error it answered, <paramref name="cancellationToken"/>
    /// cancelled because it restarted or the call was cancelled).
    /// </summary>
    public async Task<MulticastOutcome> TransferAsync(MulticastJoin join, CancellationToken cancellationToken)
    {
        DeviceUid uid = join.Device.Uid;
        lock (_lock)
        {
            if (_phase is Phase.Repairing or Phase.Ended || _left.Contains(uid) || _members.ContainsKey(uid) || (_phase == Phase.Streaming && join.ChunkSize < _chunk))
            {
                WithdrawLocked(uid);
                return MulticastOutcome.NotJoined;
            }
        }
        try
        {
            await _network.Node.JoinGroupAsync(join.Device.Address, Group, cancellationToken).ConfigureAwait(false);
        }
        catch (DataLinkException)
        {
            Withdraw(uid); // no answer, or it takes no group: it writes by itself
            return MulticastOutcome.NotJoined;
        }
        Member member;
        lock (_lock)
        {
            if (_phase is Phase.Repairing or Phase.Ended || (_phase == Phase.Streaming && join.ChunkSize < _chunk))
            {
                WithdrawLocked(uid);
                member = null!;
            }
            else
            {
                member = new Member(join, cancellationToken, _time.GetTimestamp());
                // A member that joins while the stream runs takes the rest of it: its answers are counted from now on.
                if (_phase == Phase.Streaming)
                    member.Acknowledged = new bool[(_payload.Length + _chunk - 1) / _chunk];
                _members[uid] = member;
                _expected.Remove(uid);
                if (_phase == Phase.Forming)
                {
                    _formationTimer ??= _time.CreateTimer(static s => ((MulticastTransfer)s!)._formed.TrySetResult(), this, _options.MulticastFormationTimeout, Timeout.InfiniteTimeSpan);
                    if (_run.IsCompleted)
                        _run = Task.Run(RunAsync);
                    if (_expected.Count == 0)
                        _formed.TrySetResult();
                }
                Signal();
            }
        }
        if (member is null)
        {
            StartLeave(join.Device);
            return MulticastOutcome.NotJoined;
        }
        member.Registration = cancellationToken.Register(static s =>
        {
            var (transfer, m) = ((MulticastTransfer, Member))s!;
            lock (transfer._lock)
                transfer.DropLocked(m, new OperationCanceledException(m.Token));
        }, (this, member));
        return await member.Done.Task.ConfigureAwait(false);
    }

    /// <summary>The device will not take part (refused, failed before its BeginUpdate, or already holds the image): the transfer does not wait for it.</summary>
    public void Withdraw(DeviceUid uid)
    {
        lock (_lock)
            WithdrawLocked(uid);
    }

    private void WithdrawLocked(DeviceUid uid)
    {
        if (_members.TryGetValue(uid, out Member? member))
        {
            if (member.Active)
                DropLocked(member, new MulticastLeftException(uid, "The device's update left the transfer to the group."));
            return;
        }
        _left.Add(uid);
        if (_expected.Remove(uid) && _expected.Count == 0 && _members.Count > 0)
            _formed.TrySetResult();
    }

    /// <summary>Stops the transfer (members still in it are left behind) and waits until it has.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _formed.TrySetResult();
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        lock (_lock)
        {
            foreach (Member member in _members.Values.Where(m => m.Active).ToArray())
                DropLocked(member, new MulticastLeftException(member.Device.Uid, "The transfer to the group was stopped."));
        }
        if (_formationTimer is not null)
            await _formationTimer.DisposeAsync().ConfigureAwait(false);
        // The group address is given back after this returns and the next transfer may take it: a LeaveGroup still being
        // resent then (its answer lost) would take a device out of that transfer's group. Each ends within its budget.
        Task[] leaves;
        lock (_leavesLock)
            leaves = [.. _leaves];
        await Task.WhenAll(leaves).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        try
        {
            await _formed.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
            int first;
            int count;
            lock (_lock)
            {
                Member[] ready = [.. Active()];
                if (ready.Length == 0)
                {
                    _phase = Phase.Ended;
                    return;
                }
                _chunk = ready.Min(m => m.Join.ChunkSize);
                first = (int)(ready.Min(m => m.Join.ResumeOffset) / (uint)_chunk);
                count = (_payload.Length + _chunk - 1) / _chunk;
                foreach (Member m in ready)
                    m.Acknowledged = new bool[count];
                _phase = Phase.Streaming;
                UpdateLog.GroupStarted(_logger, GroupName, ready.Length, _payload.Length - first * _chunk, first * _chunk, _chunk);
            }
            for (int block = first; block < count; block++)
            {
                await SendRetriesAsync().ConfigureAwait(false);
                Member[] targets = await WaitForRoomAsync(null).ConfigureAwait(false);
                if (targets.Length == 0)
                    break;
                await SendAsync(block, targets, toGroup: true).ConfigureAwait(false);
            }
            // No wait for the last answers: each member's answer to GetMissingBlocks, which it takes after every write
            // sent before it (its link keeps the order), says what it holds, whether an answer was lost or not.
            lock (_lock)
                _phase = Phase.Repairing;
            await RepairAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_lock)
            {
                foreach (Member member in Active().ToArray())
                    DropLocked(member, new MulticastLeftException(member.Device.Uid, $"The transfer to the group stopped: {ex.Message}", ex));
            }
        }
        finally
        {
            lock (_lock)
            {
                _phase = Phase.Ended;
                foreach (DeviceUid uid in _expected)
                    _left.Add(uid);
                _expected.Clear();
            }
        }
    }

    private IEnumerable<Member> Active() => _members.Values.Where(m => m.Active);

    private void Signal()
    {
        TaskCompletionSource changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>Asks <paramref name="device"/> to leave the group without waiting for it (<see cref="DisposeAsync"/> waits).</summary>
    private void StartLeave(DeviceInfo device)
    {
        Task leave = LeaveAsync(device);
        lock (_leavesLock)
            _leaves.Add(leave);
    }

    /// <summary>Leaves the group (best effort: a device that restarted has left it already). Never throws.</summary>
    private async Task LeaveAsync(DeviceInfo device)
    {
        try
        {
            using var budget = new CancellationTokenSource(_options.CommandTimeout * _options.CommandAttempts, _time);
            await _network.Node.LeaveGroupAsync(device.Address, Group, budget.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DataLinkException or OperationCanceledException or ObjectDisposedException)
        {
            // It is off, or gone: a restart forgets every group.
        }
    }

    /// <summary>One member: what it joined with, its writes in flight (oldest first), what it acknowledged.</summary>
    private sealed class Member(MulticastJoin join, CancellationToken token, long now)
    {
        public MulticastJoin Join { get; } = join;

        public DeviceInfo Device => Join.Device;

        public NodeAddress Address => Join.Device.Address;

        public CancellationToken Token { get; } = token;

        public CancellationTokenRegistration Registration { get; set; }

        public TaskCompletionSource<MulticastOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<Sent> Outstanding { get; } = [];

        /// <summary>
        /// How many writes it may have in flight now. It starts at <see cref="MulticastJoin.Window"/>, which counts on a
        /// frame on each hop in front of it; a Busy answer shows those frames reached it faster than that (hops that
        /// forward cut-through or links faster than its flash), and the window falls back to its receive buffers, which
        /// it always has room for: a member is over-sent at most once.
        /// </summary>
        public int Window { get; set; } = join.Window;

        public long LastHeard { get; set; } = now;

        public int Resends { get; set; }

        public bool Active { get; set; } = true;

        public bool[] Acknowledged { get; set; } = [];

        /// <summary>Blocks it answered Busy to, oldest first: sent again to it (and to others waiting for the same block).</summary>
        public RetryQueue Retry { get; } = new();

        public long BytesAcknowledged { get; set; }
    }

    /// <summary>Blocks to send again, oldest first, each at most once; any of them can be taken out of turn.</summary>
    private sealed class RetryQueue
    {
        private readonly List<int> _blocks = [];

        public int Count => _blocks.Count;

        public void Enqueue(int block)
        {
            if (!_blocks.Contains(block))
                _blocks.Add(block);
        }

        public int Dequeue()
        {
            int block = _blocks[0];
            _blocks.RemoveAt(0);
            return block;
        }

        public bool Contains(int block) => _blocks.Contains(block);

        public bool Remove(int block) => _blocks.Remove(block);
    }

    /// <summary>One Write sent (to the group or to one member) and the members whose answer it still waits for.</summary>
    private sealed class Sent(RpcGroupCall call, int block, int offset, int length)
    {
        public RpcGroupCall Call { get; } = call;

        public int Block { get; } = block;

        public int Offset { get; } = offset;

        public int Length { get; } = length;

        public int Waiting { get; set; }

        /// <summary>One member is no longer waited for; the call's request id is freed after the last.</summary>
        public void Release()
        {
            if (--Waiting == 0)
                Call.Dispose();
        }
    }
}

/// <summary>
/// A fault: the device was left behind by a transfer to a group (the transfer stopped, or repair rounds ran out while it
/// still missed blocks). Its update resumes by itself, from what it holds.
/// </summary>
internal sealed class MulticastLeftException(DeviceUid device, string message, Exception? inner = null) : Exception(message, inner)
{
    public DeviceUid Device { get; } = device;
}

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// The order in which the members of a transfer to a group restart, so that no restart cuts another member off: a
/// device of a daisy chain forwards nothing while it restarts, and a frame to a device behind it is lost then (a
/// question's command timeout, or a BeginUpdate's erase allowance, for nothing). So every member of a chain is read
/// first; then they are asked to enter their bootloaders from the end of the chain to its start, each request right
/// after the one behind it (every request passes the devices in front of its target before any of them restarts, so
/// none is lost, and the devices restart within a few milliseconds of each other); and once every member has verified
/// its new image they are asked to restart into it the same way. What a restart can still cut (an answer, a device's
/// announcement) the updater does without: it asks again. A member that leaves the transfer (refused, failed, left
/// behind) leaves the order too; nobody waits for it.
/// </summary>
internal sealed class ChainTurns
{
    private readonly object _lock = new();
    private readonly Dictionary<Images.DeviceUid, (int Link, int Position)> _members;
    private readonly HashSet<Images.DeviceUid> _contacted = [];
    private readonly HashSet<Images.DeviceUid> _enterRequested = [];
    private readonly HashSet<Images.DeviceUid> _beginSent = [];
    private readonly HashSet<Images.DeviceUid> _verified = [];
    private readonly HashSet<Images.DeviceUid> _resetRequested = [];
    private readonly HashSet<Images.DeviceUid> _left = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChainTurns(IEnumerable<DeviceInfo> members) =>
        _members = members.ToDictionary(m => m.Uid, m => (m.LinkIndex, m.ChainPosition));

    /// <summary><paramref name="uid"/> was read: its questions are no longer on the chain.</summary>
    public void Contacted(Images.DeviceUid uid) => Mark(_contacted, uid);

    /// <summary>Waits until every member of the chain was read and every member behind <paramref name="uid"/> was asked to enter its bootloader (or left).</summary>
    public async Task BeforeEnterAsync(Images.DeviceUid uid, CancellationToken cancellationToken)
    {
        await WaitAsync(uid, (_, _) => true, _contacted, cancellationToken).ConfigureAwait(false);
        await WaitAsync(uid, (other, me) => other > me, _enterRequested, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><paramref name="uid"/> was asked to enter its bootloader (the request is on its way), or runs it already.</summary>
    public void EnterRequested(Images.DeviceUid uid) => Mark(_enterRequested, uid);

    /// <summary>
    /// Waits until every member behind <paramref name="uid"/> on its chain has sent its BeginUpdate (or left), but no longer
    /// than <paramref name="atMost"/>: the devices deepest in the chain start their erases first. A frame reaches them
    /// last and their writes in flight are mostly on the wire, so what their receive buffers hold covers least of an
    /// erase once the payload streams; erasing while the others are still being offered their images costs the stream
    /// nothing. A member that is late (it restarts slowly, it resumes after a fault) is not waited for longer than
    /// <paramref name="atMost"/>: nobody is held up by it.
    /// </summary>
    public async Task BeforeBeginAsync(Images.DeviceUid uid, TimeSpan atMost, TimeProvider time, CancellationToken cancellationToken)
    {
        using var late = new CancellationTokenSource(atMost, time);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, late.Token);
        try
        {
            await WaitAsync(uid, (other, me) => other > me, _beginSent, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The members behind it are late: it goes on.
        }
    }

    /// <summary><paramref name="uid"/> sent its BeginUpdate.</summary>
    public void BeginSent(Images.DeviceUid uid) => Mark(_beginSent, uid);

    /// <summary><paramref name="uid"/> verified its new image: nothing is left to send to it but its restart.</summary>
    public void Verified(Images.DeviceUid uid) => Mark(_verified, uid);

    /// <summary>Waits until every member of the chain has verified its image and every member behind <paramref name="uid"/> was asked to restart (or left).</summary>
    public async Task BeforeRestartAsync(Images.DeviceUid uid, CancellationToken cancellationToken)
    {
        await WaitAsync(uid, (_, _) => true, _verified, cancellationToken).ConfigureAwait(false);
        await WaitAsync(uid, (other, me) => other > me, _resetRequested, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><paramref name="uid"/> was asked to restart into its new application.</summary>
    public void ResetRequested(Images.DeviceUid uid) => Mark(_resetRequested, uid);

    /// <summary><paramref name="uid"/> no longer takes part: nobody waits for it.</summary>
    public void Leave(Images.DeviceUid uid) => Mark(_left, uid);

    private async Task WaitAsync(Images.DeviceUid uid, Func<int, int, bool> concerns, HashSet<Images.DeviceUid> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (!_members.TryGetValue(uid, out (int Link, int Position) me) || me.Position < 0)
                    return; // not on a chain (a star port, a bus): nothing to wait for
                bool clear = _members.All(m => m.Key == uid || m.Value.Link != me.Link || !concerns(m.Value.Position, me.Position)
                    || done.Contains(m.Key) || _left.Contains(m.Key));
                if (clear)
                    return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Mark(HashSet<Images.DeviceUid> set, Images.DeviceUid uid)
    {
        lock (_lock)
        {
            if (!set.Add(uid))
                return;
            TaskCompletionSource changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }
}

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// The order in which devices updated at once on a daisy chain restart, so that no restart cuts another device off: a
/// device of a daisy chain forwards nothing while it restarts, and a frame to a device behind it is lost then (a
/// question's command timeout, or a write's or BeginUpdate's erase allowance, for nothing). A restart cuts off only
/// the devices behind the one that restarts; those in front do not hear of it.
/// <para>
/// The members of a transfer to a group (<see cref="ForGroup"/>) are all read first; then they are asked to enter their
/// bootloaders from the end of the chain to its start, each request right after the one behind it (every request
/// passes the devices in front of its target before any of them restarts, so none is lost, and the devices restart
/// within a few milliseconds of each other); and once every member has verified its new image they are asked to
/// restart into it the same way.
/// </para>
/// <para>
/// Devices written each by itself (<see cref="ForUnicast"/>: a production install, an update of many devices without a
/// shared payload) take part from when their turn starts (<see cref="Join"/>), since a batch may run fewer at once than
/// it holds. A device asks to enter its bootloader once every device behind it has (so a batch that starts together
/// restarts together, from the end of the chain; each asks its bootloader its first questions once the devices in front
/// of it run theirs), and once none behind it is between its BeginUpdate and its end (a
/// device that joined late, in front of devices already writing, waits for them); it restarts into its new image once
/// every device behind it has verified its own and been asked to restart. It waits for nobody in front of it: its
/// restart cuts them off from nothing, so devices with images of different sizes are not held up by each other more
/// than their places on the chain require.
/// </para>
/// <para>
/// One update of many devices (<see cref="Together"/>) may hold both: the members of one or more groups and the devices
/// written each by itself, on the same chain. They take their turns in one order, so that neither set restarts over the
/// other's frames: a device asks to enter its bootloader only once every device behind it of its own set has asked and
/// every device behind it of another set runs its bootloader (the sets restart one after the other, from the end of the
/// chain: a request's answer passes the devices in front of its target, and one of another set asked right after would
/// restart within its application's reset delay); a device asks its bootloader its first questions only once every
/// device of another set in front of it runs its own (and a member, once the members of its group in front of it past
/// such a device do); a member offers its image (from then on the group's stream and its commands pass the devices in
/// front of it) only once every device of another set in front of it runs its bootloader; and every device restarts
/// into its new image only once every device behind it, of either set, was asked to. Within each set the rules above
/// hold as they are. A device written by itself whose turn starts while a device behind it is already writing (it got
/// its slot late) waits for it as above; the members of
/// a group do not wait for such a device before their transfer (it waits for them: waiting for each other would stop both).
/// </para>
/// What a restart can still cut (an answer, a device's announcement, a probe) the updater does without: it asks again
/// after a probe's short timeout. A member that leaves (refused, failed, left behind, done) leaves the order too;
/// nobody waits for it. Devices not on a daisy chain (a star port, a bus, TCP) never wait.
/// </summary>
internal sealed class ChainTurns
{
    private readonly object _lock = new();
    private readonly Dictionary<Images.DeviceUid, Member> _members;
    private readonly HashSet<Images.DeviceUid> _joined;
    private readonly HashSet<Images.DeviceUid> _late = [];
    private readonly HashSet<Images.DeviceUid> _contacted = [];
    private readonly HashSet<Images.DeviceUid> _enterRequested = [];
    private readonly HashSet<Images.DeviceUid> _back = [];
    private readonly HashSet<Images.DeviceUid> _beginSent = [];
    private readonly HashSet<Images.DeviceUid> _verified = [];
    private readonly HashSet<Images.DeviceUid> _resetRequested = [];
    private readonly HashSet<Images.DeviceUid> _left = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Where a device sits, and its set: 0 for the devices written each by itself, 1 and up for each group.</summary>
    private readonly record struct Member(int Link, int Position, int Set)
    {
        public bool InGroup => Set > 0;
    }

    private ChainTurns(Dictionary<Images.DeviceUid, Member> members, IEnumerable<DeviceInfo> joined)
    {
        _members = members;
        _joined = [.. joined.Select(d => d.Uid)];
    }

    /// <summary>The members of one transfer to a group: all take part from the start and restart together.</summary>
    public static ChainTurns ForGroup(IEnumerable<DeviceInfo> members) => Together([members], [], []);

    /// <summary>
    /// Devices written each by itself, at once: those of <paramref name="startingTogether"/> (the ones that get a slot at
    /// once) take part from the start, so that the first to run waits for the others behind it even before their turns
    /// have run a line of code; every other device from its <see cref="Join"/>. Every one must <see cref="Leave"/> when
    /// it is done, whatever happened.
    /// </summary>
    public static ChainTurns ForUnicast(IEnumerable<DeviceInfo> devices, IEnumerable<DeviceInfo> startingTogether) =>
        Together([], devices, startingTogether);

    /// <summary>
    /// One update of many devices: the members of each of <paramref name="groups"/> (each as <see cref="ForGroup"/>, all
    /// taking part from the start) and <paramref name="byThemselves"/> (as <see cref="ForUnicast"/>, those of
    /// <paramref name="startingTogether"/> from the start), in one order on each chain.
    /// </summary>
    public static ChainTurns Together(IEnumerable<IEnumerable<DeviceInfo>> groups, IEnumerable<DeviceInfo> byThemselves, IEnumerable<DeviceInfo> startingTogether)
    {
        var members = new Dictionary<Images.DeviceUid, Member>();
        var joined = new List<DeviceInfo>();
        int set = 0;
        foreach (IEnumerable<DeviceInfo> group in groups)
        {
            set++;
            foreach (DeviceInfo member in group)
            {
                members.Add(member.Uid, new(member.LinkIndex, member.ChainPosition, set));
                joined.Add(member);
            }
        }
        foreach (DeviceInfo device in byThemselves)
            members.Add(device.Uid, new(device.LinkIndex, device.ChainPosition, 0));
        return new(members, joined.Concat(startingTogether));
    }

    /// <summary>True when <paramref name="uid"/> is written by itself (not a member of a group) here.</summary>
    public bool WrittenByItself(Images.DeviceUid uid) => _members.TryGetValue(uid, out Member m) && !m.InGroup;

    /// <summary>
    /// <paramref name="uid"/>'s turn started: the devices in front of it wait for it from now on. When a device behind it
    /// is already writing, it is late: it waits for that device, and the members of a group do not wait for it before
    /// their transfer.
    /// </summary>
    public void Join(Images.DeviceUid uid)
    {
        lock (_lock)
        {
            if (_members.TryGetValue(uid, out Member me) && _members.Any(m => m.Value.Link == me.Link && m.Value.Position > me.Position
                    && _joined.Contains(m.Key) && !_left.Contains(m.Key) && _beginSent.Contains(m.Key)))
                _late.Add(uid);
        }
        Mark(_joined, uid);
    }

    /// <summary><paramref name="uid"/> was read: its questions are no longer on the chain.</summary>
    public void Contacted(Images.DeviceUid uid) => Mark(_contacted, uid);

    /// <summary>
    /// Waits until <paramref name="uid"/> may be asked to enter its bootloader: for a group, every member of the chain was
    /// read and every device behind it (of either set; a late one not) was asked to enter its bootloader (or left); for
    /// devices written each by itself, every device behind it was asked to enter its bootloader, and none behind it is
    /// between its BeginUpdate and its end. A device of another set behind it must run its bootloader already (so the sets
    /// restart one after the other, from the end of the chain; each waits in <see cref="AfterEnterAsync"/> for the ones in front).
    /// </summary>
    public async Task BeforeEnterAsync(Images.DeviceUid uid, CancellationToken cancellationToken)
    {
        // A device of another set behind it must run its bootloader, not only have been asked: the request and its answer
        // pass this device, and its own restart follows its request within the application's reset delay.
        int set = SetOf(uid);
        bool Entered(Images.DeviceUid m) => SetOf(m) == set ? _enterRequested.Contains(m) : _back.Contains(m);
        if (InGroup(uid))
        {
            await WaitAsync(uid, SameSet, m => _contacted.Contains(m), cancellationToken).ConfigureAwait(false);
            await WaitAsync(uid, BehindNotLate, Entered, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await WaitAsync(uid, Behind, Entered, cancellationToken).ConfigureAwait(false);
            await WaitAsync(uid, Behind, m => !_beginSent.Contains(m), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><paramref name="uid"/> was asked to enter its bootloader (the request is on its way), or runs it already.</summary>
    public void EnterRequested(Images.DeviceUid uid) => Mark(_enterRequested, uid);

    /// <summary><paramref name="uid"/> runs its bootloader (it announced it, or answered from it): it forwards again.</summary>
    public void Back(Images.DeviceUid uid) => Mark(_back, uid);

    /// <summary>
    /// Devices written each by itself: waits until every device in front of <paramref name="uid"/> that was asked to enter
    /// its bootloader runs it (or left), so that <paramref name="uid"/>'s first questions to its own bootloader (it
    /// restarted first, being further down the chain) do not meet a device in front of it restarting. A member of a group
    /// does not wait so for its own members (they restart within milliseconds of it and it asks again what their restarts
    /// cut off), except those with a device of another set between them and it: they restart only once that device runs
    /// its bootloader, well after this one, so they are waited for until they run theirs. Every device of another set in
    /// front of it that takes part (a late one not) is waited for until it runs its bootloader, asked already or not: it
    /// asks only once this device runs its own (<see cref="BeforeEnterAsync"/>), and restarts right after.
    /// </summary>
    public async Task AfterEnterAsync(Images.DeviceUid uid, CancellationToken cancellationToken)
    {
        if (!InGroup(uid))
            await WaitAsync(uid, InFrontSameSet, m => !_enterRequested.Contains(m) || _back.Contains(m), cancellationToken).ConfigureAwait(false);
        else
            await WaitAsync(uid, InFrontSameSetPastOtherSet, m => _back.Contains(m), cancellationToken).ConfigureAwait(false);
        await WaitAsync(uid, InFrontOtherSetNotLate, m => _back.Contains(m), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every member behind <paramref name="uid"/> on its chain has sent its BeginUpdate (or left), but no longer
    /// than <paramref name="atMost"/>: the devices deepest in the chain start their erases first. A frame reaches them
    /// last and their writes in flight are mostly on the wire, so what their receive buffers hold covers least of an
    /// erase once the payload streams; erasing while the others are still being offered their images costs the stream
    /// nothing. A member that is late (it restarts slowly, it resumes after a fault) is not waited for longer than
    /// <paramref name="atMost"/>: nobody is held up by it. Before all that, every device of another set in front of it
    /// that takes part (a late one not) must run its bootloader (or have left): from BeginUpdate on, the group's stream
    /// and this member's commands pass it, and its restart would cut them off.
    /// </summary>
    public async Task BeforeBeginAsync(Images.DeviceUid uid, TimeSpan atMost, TimeProvider time, CancellationToken cancellationToken)
    {
        await WaitAsync(uid, InFrontOtherSetNotLate, m => _back.Contains(m), cancellationToken).ConfigureAwait(false);
        using var late = new CancellationTokenSource(atMost, time);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, late.Token);
        try
        {
            await WaitAsync(uid, BehindSameSet, m => _beginSent.Contains(m), limit.Token).ConfigureAwait(false);
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

    /// <summary>
    /// Waits until <paramref name="uid"/> may restart into its new image: every member of its group on the chain (of a
    /// group), or every device behind it (written each by itself), has verified its image, and every one behind it, of
    /// either set, was asked to restart (or left).
    /// </summary>
    public async Task BeforeRestartAsync(Images.DeviceUid uid, CancellationToken cancellationToken)
    {
        await WaitAsync(uid, InGroup(uid) ? SameSet : Behind, m => _verified.Contains(m), cancellationToken).ConfigureAwait(false);
        await WaitAsync(uid, Behind, m => _resetRequested.Contains(m), cancellationToken).ConfigureAwait(false);
    }

    /// <summary><paramref name="uid"/> was asked to restart into its new application.</summary>
    public void ResetRequested(Images.DeviceUid uid) => Mark(_resetRequested, uid);

    /// <summary><paramref name="uid"/> no longer takes part: nobody waits for it.</summary>
    public void Leave(Images.DeviceUid uid) => Mark(_left, uid);

    private bool InGroup(Images.DeviceUid uid) => SetOf(uid) > 0;

    private int SetOf(Images.DeviceUid uid) => _members.TryGetValue(uid, out Member m) ? m.Set : -1;

    private static bool SameSet(Member other, Member me, bool late) => other.Set == me.Set;

    private static bool Behind(Member other, Member me, bool late) => other.Position > me.Position;

    private static bool BehindSameSet(Member other, Member me, bool late) => other.Position > me.Position && other.Set == me.Set;

    private static bool BehindNotLate(Member other, Member me, bool late) => other.Position > me.Position && !late;

    private static bool InFrontSameSet(Member other, Member me, bool late) => other.Position < me.Position && other.Set == me.Set;

    /// <summary>A member of the same group in front, with a device of another set that takes part (a late one not) between them (called under the lock).</summary>
    private bool InFrontSameSetPastOtherSet(Member other, Member me, bool late) =>
        other.Position < me.Position && other.Set == me.Set
        && _members.Any(m => m.Value.Link == me.Link && m.Value.Set != me.Set && m.Value.Position > other.Position && m.Value.Position < me.Position
            && _joined.Contains(m.Key) && !_left.Contains(m.Key) && !_late.Contains(m.Key));

    private static bool InFrontOtherSet(Member other, Member me, bool late) => other.Position < me.Position && other.Set != me.Set;

    private static bool InFrontOtherSetNotLate(Member other, Member me, bool late) => InFrontOtherSet(other, me, late) && !late;

    /// <summary>
    /// Waits until every device on <paramref name="uid"/>'s chain that <paramref name="concerns"/> it (by place and set,
    /// and whether it is late) is <paramref name="done"/>, left, or not taking part yet.
    /// </summary>
    private async Task WaitAsync(Images.DeviceUid uid, Func<Member, Member, bool, bool> concerns, Func<Images.DeviceUid, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (!_members.TryGetValue(uid, out Member me) || me.Position < 0)
                    return; // not on a chain (a star port, a bus): nothing to wait for
                bool clear = _members.All(m => m.Key == uid || m.Value.Link != me.Link || !concerns(m.Value, me, _late.Contains(m.Key))
                    || !_joined.Contains(m.Key) || _left.Contains(m.Key) || done(m.Key));
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

using Csa.Bootloader.Protocol;
using Csa.Rpc;

namespace Csa.Bootloader.Updates.Internal;

// The repair of a transfer to a group: every member says which blocks it lacks, and what any of them lacks is sent
// again (to the group when several lack it, to the one member otherwise), until every member holds everything.
internal sealed partial class MulticastTransfer
{
    private async Task RepairAsync()
    {
        for (int round = 1; round <= _options.MulticastRepairRounds; round++)
        {
            await SendRetriesAsync().ConfigureAwait(false);
            Member[] asked;
            lock (_lock)
                asked = [.. Active()];
            if (asked.Length == 0)
                return;
            (Member Member, SortedSet<int>? Missing)[] answers = await Task.WhenAll(asked.Select(MissingBlocksAsync)).ConfigureAwait(false);
            var lacking = new SortedDictionary<int, List<Member>>();
            lock (_lock)
            {
                foreach ((Member member, SortedSet<int>? missing) in answers)
                {
                    if (!member.Active || missing is null)
                        continue;
                    if (missing.Count == 0)
                    {
                        CompleteLocked(member);
                        continue;
                    }
                    foreach (int block in missing)
                    {
                        if (!lacking.TryGetValue(block, out List<Member>? list))
                            lacking[block] = list = [];
                        list.Add(member);
                    }
                }
            }
            if (lacking.Count == 0)
                continue;
            int toGroup = 0, unicast = 0;
            foreach ((int block, List<Member> members) in lacking)
            {
                Member[] still = members.Where(m => m.Active).ToArray();
                if (still.Length == 0)
                    continue;
                if (still.Length >= 2)
                {
                    Member[] targets = await WaitForRoomAsync(null).ConfigureAwait(false);
                    if (targets.Length == 0)
                        return;
                    await SendAsync(block, targets, toGroup: true).ConfigureAwait(false);
                    toGroup++;
                }
                else
                {
                    Member[] target = await WaitForRoomAsync(still[0]).ConfigureAwait(false);
                    if (target.Length == 0)
                        continue;
                    await SendAsync(block, target, toGroup: false).ConfigureAwait(false);
                    unicast++;
                }
            }
            UpdateLog.GroupRepair(_logger, GroupName, round, lacking.Count, toGroup, unicast);
        }
        lock (_lock)
        {
            foreach (Member member in Active().ToArray())
                DropLocked(member, new MulticastLeftException(member.Device.Uid, $"The device still lacked blocks after {_options.MulticastRepairRounds} repair rounds."));
        }
    }

    /// <summary>
    /// How long a write that was sent before a GetMissingBlocks question, and is still unanswered when the question is,
    /// may take to be answered: the device ran the two at once, and the write takes its programming time (1 KiB: 4 ms
    /// typical, 26 ms worst case on an F4). A write that was lost costs this much before it is sent again.
    /// </summary>
    private static readonly TimeSpan LateAnswerGrace = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits until <paramref name="member"/> has acknowledged every block in <paramref name="blocks"/>, or left, or <paramref name="atMost"/> has passed.</summary>
    private async Task AnswersAsync(Member member, int[] blocks, TimeSpan atMost)
    {
        long start = _time.GetTimestamp();
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                if (!member.Active || blocks.All(block => member.Acknowledged[block]))
                    return;
                changed = _changed.Task;
            }
            TimeSpan left = atMost - _time.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
                return;
            await Task.WhenAny(changed, Task.Delay(left, _time, _stop.Token)).ConfigureAwait(false);
            _stop.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The blocks <paramref name="member"/> lacks (GetMissingBlocks, page by page); null when it was left behind for not answering.</summary>
    private async Task<(Member, SortedSet<int>?)> MissingBlocksAsync(Member member)
    {
        // The question takes a receive buffer like a write.
        if ((await WaitForRoomAsync(member).ConfigureAwait(false)).Length == 0)
            return (member, null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, member.Token);
        using BootloaderClient client = _network.CreateBootloaderClient(member.Device);
        var options = new RpcCallOptions { Timeout = member.Join.Allowance, MaxAttempts = _options.CommandAttempts, Idempotent = true };
        try
        {
            SortedSet<int> missing = await MissingBlocks.ReadAsync(client, 0, _payload.Length, _chunk, options, stop.Token).ConfigureAwait(false);
            // A device may run several commands at once (up to its receive buffers, rpc-packets.md section 6), so a write
            // sent before the question can still be running when the question is answered: a missing block whose write
            // is still unanswered gets a moment for its answer before it counts as missing.
            int[] late;
            lock (_lock)
                late = [.. member.Outstanding.Select(o => o.Block).Where(missing.Contains)];
            if (late.Length > 0)
                await AnswersAsync(member, late, LateAnswerGrace).ConfigureAwait(false);
            lock (_lock)
            {
                missing.RemoveWhere(block => member.Acknowledged[block]);
                // It took every write sent before the question: those still waited for were lost, or their answers were.
                foreach (Sent sent in member.Outstanding)
                {
                    sent.Call.Forget(member.Address);
                    sent.Release();
                }
                member.Outstanding.Clear();
                member.LastHeard = _time.GetTimestamp();
                Signal();
            }
            return (member, missing);
        }
        catch (Exception ex) when (ex is RpcErrorException or OperationCanceledException || DeviceNetwork.IsUnreachable(ex))
        {
            lock (_lock)
                DropLocked(member, ex is not OperationCanceledException ? ex
                    : member.Token.IsCancellationRequested ? new OperationCanceledException(member.Token)
                    : new MulticastLeftException(member.Device.Uid, "The transfer to the group was stopped.", ex));
            return (member, null);
        }
    }
}

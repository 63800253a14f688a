using Csa.Bootloader.Protocol;
using Csa.Rpc;

namespace Csa.Bootloader.Updates.Internal;

// The writes of a transfer to a group: flow control to every member's receive buffers, the answers, and the members
// left behind.
internal sealed partial class MulticastTransfer
{
    /// <summary>How often the waits look at the members' timeouts when nothing else happens.</summary>
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Waits until every active member in <paramref name="only"/> (every active member when null) has a free receive
    /// buffer, leaving behind members that stopped answering meanwhile; returns them (empty: nobody is left).
    /// </summary>
    private async Task<Member[]> WaitForRoomAsync(Member? only)
    {
        long since = 0;
        string? full = null;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                CheckTimeoutsLocked();
                Member[] targets = only is null ? [.. Active()] : only.Active ? [only] : [];
                if (targets.Length == 0 || targets.All(m => m.Outstanding.Count < m.Window))
                {
                    if (full is not null && _logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
                        UpdateLog.GroupWaited(_logger, GroupName, (long)_time.GetElapsedTime(since).TotalMilliseconds, full);
                    return targets;
                }
                if (full is null)
                {
                    since = _time.GetTimestamp();
                    full = string.Join(", ", targets.Where(m => m.Outstanding.Count >= m.Window).Select(m => m.Address));
                }
                changed = _changed.Task;
            }
            await Task.WhenAny(changed, Task.Delay(CheckInterval, _time, _stop.Token)).ConfigureAwait(false);
            _stop.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>
    /// Sends each member the writes it answered Busy to, as far as its buffers allow: by its own address, or once to the
    /// group when several members with room answered Busy to the same write (a burst of Busy answers usually hits every
    /// member behind the same hop).
    /// </summary>
    private async Task SendRetriesAsync()
    {
        while (true)
        {
            Member[] targets;
            int block;
            lock (_lock)
            {
                Member? first = Active().FirstOrDefault(m => m.Retry.Count > 0 && m.Outstanding.Count < m.Window);
                if (first is null)
                    return;
                block = first.Retry.Dequeue();
                // Every member takes a write to the group (and takes a buffer for it), so it goes to the group only when
                // all have room; the others waiting for this block then have it and drop it from their retries.
                Member[] active = [.. Active()];
                bool shared = active.All(m => m.Outstanding.Count < m.Window) && active.Any(m => m != first && m.Retry.Contains(block));
                if (shared)
                {
                    foreach (Member other in active)
                        other.Retry.Remove(block);
                }
                targets = shared ? active : [first];
            }
            await SendAsync(block, targets, toGroup: targets.Length > 1).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends block <paramref name="block"/> once: to the group (every member takes it and answers), or to the only
    /// member of <paramref name="targets"/> by its own address.
    /// </summary>
    private async Task SendAsync(int block, Member[] targets, bool toGroup)
    {
        int offset = block * _chunk;
        int length = Math.Min(_chunk, _payload.Length - offset);
        byte[] data = _payload.Slice(offset, length).ToArray();
        RpcGroupCall call;
        try
        {
            call = await _network.GroupClient.SendToGroupAsync(Group, targets.Select(m => m.Address).ToArray(), BootloaderInterface.Id,
                BootloaderInterface.Commands.Write, new WriteRequest((uint)offset, data), _stop.Token, toGroup ? null : targets[0].Address).ConfigureAwait(false);
        }
        catch (Csa.DataLink.DataLinkException ex)
        {
            // Nothing could take it (every link to the members is down): whoever it was for is left behind.
            lock (_lock)
            {
                foreach (Member member in targets)
                    DropLocked(member, ex);
            }
            return;
        }
        var sent = new Sent(call, block, offset, length);
        Member[] waiting;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            waiting = [.. targets.Where(m => m.Active)];
            foreach (Member member in waiting)
            {
                if (member.Outstanding.Count == 0)
                    member.LastHeard = now; // its clock starts with its first write in flight
                member.Outstanding.Add(sent);
            }
            sent.Waiting = waiting.Length;
            if (sent.Waiting == 0)
                call.Dispose();
        }
        // Outside the lock, and never inline: an answer that is already there is handled like any other.
        foreach (Member member in waiting)
        {
            Task<RpcGroupReply> reply;
            try
            {
                reply = call.ReplyFrom(member.Address);
            }
            catch (ArgumentException)
            {
                continue; // cannot happen: every waiting member is a member of the call
            }
            _ = reply.ContinueWith(static (t, s) =>
            {
                var (transfer, m, w) = ((MulticastTransfer, Member, Sent))s!;
                transfer.OnReply(m, w, t);
            }, (this, member, sent), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }

    private void OnReply(Member member, Sent sent, Task<RpcGroupReply> reply)
    {
        (long Held, long Acked)? progress = null;
        lock (_lock)
        {
            int index = member.Outstanding.IndexOf(sent);
            if (!member.Active || index < 0 || reply.IsCanceled)
                return;
            if (reply.IsFaulted)
            {
                DropLocked(member, reply.Exception!.InnerException ?? reply.Exception);
                return;
            }
            RpcGroupReply answer = reply.Result;
            member.LastHeard = _time.GetTimestamp();
            member.Resends = 0;
            if (answer.IsError)
            {
                RpcErrorException error = answer.ToException();
                if (error.Status != RpcStatus.Busy)
                {
                    // Its session is gone (a restart), or it refuses what it was sent: it goes on by itself.
                    DropLocked(member, error);
                    return;
                }
                // Busy: it did not take this write (its buffers were full, e.g. it took an earlier write later than this
                // host counted): it gets it again, by its own address, behind what is in flight.
                member.Outstanding.RemoveAt(index);
                sent.Release();
                member.Retry.Enqueue(sent.Block);
                member.Window = Math.Min(member.Window, member.Join.Buffers);
                UpdateLog.GroupWriteBusy(_logger, GroupName, member.Address.ToString(), sent.Offset);
            }
            else
            {
                WriteResponse written;
                try
                {
                    written = answer.Decode<WriteResponse>();
                }
                catch (RpcDecodeException ex)
                {
                    DropLocked(member, ex);
                    return;
                }
                if (written.Offset != (uint)sent.Offset || written.Length != sent.Length)
                {
                    DropLocked(member, new UpdateFailedException(member.Device.Uid, UpdateStage.Transferring,
                        $"The device acknowledged a write at {written.Offset} of {written.Length} bytes for one at {sent.Offset} of {sent.Length}."));
                    return;
                }
                // A member takes its writes in order: one it answered after an older one means the older one was lost
                // on its way (its frame, or its answer). It no longer holds a buffer; the repair finds what it lacks.
                for (int i = 0; i <= index; i++)
                {
                    Sent older = member.Outstanding[i];
                    if (i < index)
                        older.Call.Forget(member.Address);
                    older.Release();
                }
                member.Outstanding.RemoveRange(0, index + 1);
                if (!member.Acknowledged[sent.Block])
                {
                    member.Acknowledged[sent.Block] = true;
                    member.BytesAcknowledged += sent.Length;
                    progress = (Held(member), sent.Length);
                }
            }
            Signal();
        }
        if (progress is { } p)
            member.Join.Progress(p.Held, p.Acked);
    }

    /// <summary>What a member holds, as far as the host knows: below its resume offset, and every block it acknowledged above it.</summary>
    private long Held(Member member)
    {
        long held = member.Join.ResumeOffset;
        for (int block = 0; block < member.Acknowledged.Length; block++)
        {
            if (member.Acknowledged[block] && (long)block * _chunk >= member.Join.ResumeOffset)
                held += Math.Min(_chunk, _payload.Length - block * _chunk);
        }
        return Math.Min(held, _payload.Length);
    }

    /// <summary>
    /// A member whose oldest write has waited longer than its allowance gets that write again, by its own address, as a
    /// unicast write would be resent; after <see cref="UpdateOptions.CommandAttempts"/> it is left behind.
    /// </summary>
    private void CheckTimeoutsLocked()
    {
        long now = _time.GetTimestamp();
        foreach (Member member in Active().ToArray())
        {
            if (member.Outstanding.Count == 0 || _time.GetElapsedTime(member.LastHeard, now) < member.Join.Allowance)
                continue;
            if (member.Resends + 1 >= _options.CommandAttempts)
            {
                DropLocked(member, new RpcTimeoutException(
                    $"{member.Address} did not answer a write to {Group} after {_options.CommandAttempts} attempt(s) of {member.Join.Allowance.TotalMilliseconds:0} ms each."));
                continue;
            }
            member.Resends++;
            member.LastHeard = now;
            Sent oldest = member.Outstanding[0];
            UpdateLog.GroupWriteResent(_logger, GroupName, member.Address.ToString(), oldest.Offset, (long)member.Join.Allowance.TotalMilliseconds, member.Resends + 1);
            _ = ResendAsync(oldest.Call, member);
        }
    }

    private async Task ResendAsync(RpcGroupCall call, Member member)
    {
        try
        {
            await call.ResendToAsync(member.Address, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Csa.DataLink.DataLinkException or OperationCanceledException or ObjectDisposedException or ArgumentException)
        {
            // The next check decides (a link that is down leaves the member behind when its attempts run out).
        }
    }

    /// <summary>
    /// Leaves <paramref name="member"/> behind: its writes in flight are no longer waited for, it leaves the group, and
    /// its TransferAsync throws <paramref name="reason"/> (its UpdateRun then resumes by itself).
    /// </summary>
    private void DropLocked(Member member, Exception reason)
    {
        if (!member.Active)
            return;
        member.Active = false;
        foreach (Sent sent in member.Outstanding)
        {
            sent.Call.Forget(member.Address);
            sent.Release();
        }
        member.Outstanding.Clear();
        _left.Add(member.Device.Uid);
        string why = reason is OperationCanceledException && member.Token.IsCancellationRequested
            ? "its update stopped waiting: the device announced a restart, or the call was cancelled"
            : reason.Message;
        UpdateLog.GroupMemberDropped(_logger, reason is OperationCanceledException ? null : reason, GroupName, member.Device.Uid.ToString(), why);
        StartLeave(member.Device);
        member.Registration.Unregister();
        if (reason is OperationCanceledException cancelled)
            member.Done.TrySetCanceled(cancelled.CancellationToken);
        else
            member.Done.TrySetException(reason);
        Signal();
    }

    /// <summary>A member holds the whole payload: it leaves the group and goes on to FinishUpdate.</summary>
    private void CompleteLocked(Member member)
    {
        if (!member.Active)
            return;
        member.Active = false;
        foreach (Sent sent in member.Outstanding)
        {
            sent.Call.Forget(member.Address);
            sent.Release();
        }
        member.Outstanding.Clear();
        _left.Add(member.Device.Uid);
        UpdateLog.GroupMemberComplete(_logger, GroupName, member.Device.Uid.ToString());
        member.Registration.Unregister();
        Signal();
        _ = CompleteAsync(member);
    }

    private async Task CompleteAsync(Member member)
    {
        await Task.Yield(); // out of CompleteLocked's lock: the progress callback runs outside any lock
        // Its FinishUpdate does not wait for the leave: a group write that still reaches it is a write of blocks it holds
        // (answered, and no longer waited for), or, after its commit, one it refuses; and its restart forgets every group.
        StartLeave(member.Device);
        member.Join.Progress(_payload.Length, 0);
        member.Done.TrySetResult(MulticastOutcome.Complete);
    }
}

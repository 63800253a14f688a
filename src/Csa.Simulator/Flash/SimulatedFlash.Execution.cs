using Csa.Simulator.Flash.Internal;

namespace Csa.Simulator.Flash;

// Running validated operations: synchronously (busy time only) or asynchronously (virtual or real time), with
// the armed power-cut plan applied at the operation it names.
public sealed partial class SimulatedFlash
{
    // The synchronous form, run under the lock that validated the operation so nothing can start in between.
    // Returns the power-loss source to cancel (outside the lock) when a planned cut hit the operation.
    private CancellationTokenSource? RunSyncLocked(PendingOperation op, out string when)
    {
        when = "during";
        PowerCutPlan? plan = TakePlanFor();
        if (plan is { DuringOperation: false })
        {
            when = "before";
            return CutPowerLocked(when, op.Description);
        }
        CountStarted(op);
        if (plan is null)
        {
            op.Commit();
            AddBusy(op.Duration);
            return null;
        }
        double fraction = DrawFraction(plan, out Random random);
        op.Tear(fraction, random, plan.EraseStyle);
        AddBusy(op.Duration * fraction);
        return CutPowerLocked(when, op.Description);
    }

    private static void ThrowIfCut(CancellationTokenSource? cut, string when, PendingOperation op)
    {
        if (cut is null)
            return;
        cut.Cancel();
        throw new PowerLossException($"Power failed {when} {op.Description}.");
    }

    // The asynchronous form. While another operation runs, the chip stalls the bus until BSY clears: here the
    // caller waits for it, then validates and starts its own operation.
    private async Task RunAsync(Func<PendingOperation> begin, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task? previous = null;
            AsyncStart? start = null;
            lock (_gate)
            {
                if (_powered && _pending is { } busy)
                    previous = busy.Completion.Task;
                else
                    start = StartLocked(begin());
            }
            if (previous is not null)
            {
                await previous.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            await FinishAsync(start!, cancellationToken).ConfigureAwait(false);
            return;
        }
    }

    private AsyncStart StartLocked(PendingOperation op)
    {
        PowerCutPlan? plan = TakePlanFor();
        if (plan is { DuringOperation: false })
            return new AsyncStart(op, TimeSpan.Zero, _powerLoss.Token, CutPowerLocked("before", op.Description));
        CountStarted(op);
        TimeSpan wait = op.Duration;
        if (plan is not null)
        {
            op.ScheduledCut = plan;
            op.ScheduledFraction = DrawFraction(plan, out _);
            wait = op.Duration * op.ScheduledFraction;
        }
        op.StartTimestamp = _time.GetTimestamp();
        _pending = op;
        return new AsyncStart(op, TakeWholeMilliseconds(wait), _powerLoss.Token, Cut: null);
    }

    private async Task FinishAsync(AsyncStart start, CancellationToken cancellationToken)
    {
        PendingOperation op = start.Operation;
        if (start.Cut is not null)
        {
            start.Cut.Cancel();
            throw new PowerLossException($"Power failed before {op.Description}.");
        }

        try
        {
            // The operation ends its duration after it started (StartLocked), not after this wait begins: the caller may
            // get here late (a loaded thread pool), and time may have moved meanwhile (a test's fake clock advanced past
            // the end, whose timer would then never fire). Whole milliseconds only, as the wait itself (see
            // TakeWholeMilliseconds): the microseconds a caller normally takes to get here change nothing.
            TimeSpan late = TimeSpan.FromMilliseconds(Math.Floor(_time.GetElapsedTime(op.StartTimestamp).TotalMilliseconds));
            TimeSpan left = start.Wait - late;
            if (left > TimeSpan.Zero)
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, start.PowerToken);
                await Task.Delay(left, _time, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (start.PowerToken.IsCancellationRequested)
        {
            throw new PowerLossException($"Power failed during {op.Description}.");
        }
        catch (OperationCanceledException)
        {
            // The caller stopped waiting, but a flash controller cannot abort: the operation completes.
            lock (_gate)
            {
                if (ReferenceEquals(_pending, op))
                {
                    op.Commit();
                    AddBusy(op.Duration);
                    ClearPendingLocked();
                }
            }
            throw;
        }

        CancellationTokenSource? cut = null;
        lock (_gate)
        {
            if (!ReferenceEquals(_pending, op))
                throw new PowerLossException($"Power failed during {op.Description}.");
            if (op.ScheduledCut is { } plan)
            {
                double fraction = DrawFraction(plan, out Random random);
                op.Tear(fraction, random, plan.EraseStyle);
                AddBusy(op.Duration * fraction);
                ClearPendingLocked();
                cut = CutPowerLocked("during", op.Description);
            }
            else
            {
                op.Commit();
                AddBusy(op.Duration);
                ClearPendingLocked();
            }
        }
        if (cut is not null)
        {
            cut.Cancel();
            throw new PowerLossException($"Power failed during {op.Description}.");
        }
    }

    // Under the lock: the operation in progress is over (landed, torn or abandoned); callers waiting for the
    // controller may go on (their continuations run outside the lock: the completion runs them asynchronously).
    private void ClearPendingLocked()
    {
        if (_pending is { } op)
        {
            _pending = null;
            op.Completion.TrySetResult();
        }
    }

    private sealed record AsyncStart(PendingOperation Operation, TimeSpan Wait, CancellationToken PowerToken, CancellationTokenSource? Cut);

    // Called under the lock before an operation starts: rejects it when there is no power or the controller is busy.
    private void EnsureReady()
    {
        if (!_powered)
            throw new PowerLossException("The device has no power; call PowerOn first.");
        if (_pending is not null)
            throw Error(FlashError.Busy, 0, $"The flash controller is busy with {_pending.Description}; wait for it to finish.");
    }

    private void EnsurePowered()
    {
        if (!_powered)
            throw new PowerLossException("The device has no power; call PowerOn first.");
    }

    private PowerCutPlan? TakePlanFor()
    {
        if (_plan is null)
            return null;
        long index = _operationsSinceArmed++;
        return index == _plan.OperationIndex ? _plan : null;
    }

    // The same plan always gives the same fraction and the same random tear.
    private static double DrawFraction(PowerCutPlan plan, out Random random)
    {
        random = new Random(plan.Seed);
        double drawn = random.NextDouble();
        return plan.Fraction ?? drawn;
    }

    private void CountStarted(PendingOperation op)
    {
        if (op is EraseOperation erase)
            CountWear(erase.Sectors);
        _stats = op switch
        {
            ProgramOperation p => _stats with
            {
                OperationCount = _stats.OperationCount + 1,
                ProgramOperations = _stats.ProgramOperations + 1,
                ProgramUnits = _stats.ProgramUnits + p.UnitCount,
                ProgrammedBytes = _stats.ProgrammedBytes + ((long)p.UnitCount * ProgramUnitSize),
            },
            EraseOperation e when e.IsMassErase => _stats with
            {
                OperationCount = _stats.OperationCount + 1,
                MassErases = _stats.MassErases + 1,
            },
            EraseOperation => _stats with
            {
                OperationCount = _stats.OperationCount + 1,
                SectorErases = _stats.SectorErases + 1,
            },
            _ => _stats with
            {
                OperationCount = _stats.OperationCount + 1,
                OptionBytePrograms = _stats.OptionBytePrograms + 1,
            },
        };
    }

    // Timers (the system's and FakeTimeProvider's) count whole milliseconds: a 16 us delay would be 0 or 1 ms.
    // So waits are whole milliseconds and the remainder is carried into the next operation's wait: over a run the
    // clock advances by the summed durations to within 1 ms, and a real-time run is not slowed by timer rounding.
    private TimeSpan TakeWholeMilliseconds(TimeSpan wait)
    {
        TimeSpan owed = _waitCarry + wait;
        TimeSpan whole = TimeSpan.FromTicks(owed.Ticks - (owed.Ticks % TimeSpan.TicksPerMillisecond));
        _waitCarry = owed - whole;
        return whole;
    }

    private void AddBusy(TimeSpan duration) => _stats = _stats with { BusyTime = _stats.BusyTime + duration };
}

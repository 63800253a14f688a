using Csa.Simulator.Flash.Internal;

namespace Csa.Simulator.Flash;

// Power: planned cuts, explicit cuts, power-on.
public sealed partial class SimulatedFlash
{
    /// <summary>
    /// Arms <paramref name="plan"/>: its operation index counts from now. Replaces a plan armed before. The plan
    /// fires once; after the cut it is gone.
    /// </summary>
    public void ArmPowerCut(PowerCutPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        lock (_gate)
        {
            _plan = plan;
            _operationsSinceArmed = 0;
        }
    }

    /// <summary>Removes the armed plan, if any.</summary>
    public void DisarmPowerCut()
    {
        lock (_gate)
            _plan = null;
    }

    /// <summary>
    /// Cuts the power now. An asynchronous operation in progress is torn at the fraction of its duration that has
    /// elapsed (its waiter gets <see cref="PowerLossException"/>); then every operation and read throws
    /// <see cref="PowerLossException"/> until <see cref="PowerOn"/>. Does nothing when already off.
    /// </summary>
    public void CutPower()
    {
        CancellationTokenSource? cut;
        lock (_gate)
        {
            if (!_powered)
                return;
            string operation = "while idle";
            if (_pending is { } op)
            {
                TimeSpan elapsed = _time.GetElapsedTime(op.StartTimestamp);
                double fraction = op.Duration <= TimeSpan.Zero ? 0 : Math.Clamp(elapsed / op.Duration, 0, 0.999_999);
                op.Tear(fraction, _tearRandom, TornEraseStyle.PartiallyErasedBits);
                AddBusy(elapsed < op.Duration ? elapsed : op.Duration);
                ClearPendingLocked();
                operation = op.Description;
            }
            cut = CutPowerLocked("during", operation);
        }
        cut.Cancel();
    }

    /// <summary>The firmware that booted on this flash last: one CPU runs over a flash at a time.</summary>
    internal object? Runner
    {
        get => Volatile.Read(ref _runner);
        set => Volatile.Write(ref _runner, value);
    }

    private object? _runner;

    /// <summary>
    /// Cancelled when the power of the current power-on ends (a cut). Work the firmware runs in the background (the
    /// bootloader's erase-ahead) captures it so it never outlives the power it started under.
    /// </summary>
    internal CancellationToken PowerEpoch
    {
        get
        {
            lock (_gate)
                return _powerLoss.Token;
        }
    }

    /// <summary>
    /// Powers the device on again after a cut: operations work again, the content (torn parts included) stays.
    /// Does nothing when already powered.
    /// </summary>
    public void PowerOn()
    {
        lock (_gate)
        {
            if (_powered)
                return;
            _powered = true;
            ClearPendingLocked();
            // The old source is left to the collector: a cutter may still be cancelling it outside the lock.
            _powerLoss = new CancellationTokenSource();
            FlashLog.PowerOn(_logger);
        }
    }

    // Under the lock: marks the power gone and returns the source the caller must cancel once it left the lock
    // (cancelling inside it could run a waiter's continuation inline, re-entering the lock).
    private CancellationTokenSource CutPowerLocked(string when, string operation)
    {
        _powered = false;
        _plan = null;
        _stats = _stats with { PowerCuts = _stats.PowerCuts + 1 };
        FlashLog.PowerCut(_logger, when, operation);
        return _powerLoss;
    }
}

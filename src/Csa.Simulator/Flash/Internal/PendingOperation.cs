namespace Csa.Simulator.Flash.Internal;

/// <summary>
/// A validated flash operation: what it will do (<see cref="Commit"/>), what a power cut in its middle leaves
/// (<see cref="Tear"/>), how long it takes and which banks it keeps busy. Created and applied under the flash's lock.
/// </summary>
internal abstract class PendingOperation
{
    protected PendingOperation(string description, TimeSpan duration, IReadOnlyList<int> banks)
    {
        Description = description;
        Duration = duration;
        Banks = banks;
    }

    public string Description { get; }

    public TimeSpan Duration { get; }

    public IReadOnlyList<int> Banks { get; }

    /// <summary>The timestamp (TimeProvider) the asynchronous run started at.</summary>
    public long StartTimestamp { get; set; }

    /// <summary>A planned cut that will hit this asynchronous run when its wait ends.</summary>
    public PowerCutPlan? ScheduledCut { get; set; }

    public double ScheduledFraction { get; set; }

    /// <summary>Completes when the operation is over, however it ended; asynchronous callers queue behind it.</summary>
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public abstract void Commit();

    /// <summary>Applies what the operation did before power failed at <paramref name="fraction"/> of its run.</summary>
    public abstract void Tear(double fraction, Random random, TornEraseStyle eraseStyle);
}

using Csa.Bootloader.Images;
using Csa.DataLink;

namespace Csa.Bootloader.Updates;

/// <summary>
/// One progress report of an update (<see cref="IProgress{T}"/>): the stage, how many payload bytes the device holds,
/// the transfer rate and the estimated time left. Reports arrive on a thread-pool thread (or through the
/// <see cref="IProgress{T}"/>'s own context, as <see cref="Progress{T}"/> does); handlers must not block.
/// </summary>
/// <param name="Device">The unique id of the device being updated.</param>
/// <param name="Address">The device's node address at the time of the report (it may change after a power cut).</param>
/// <param name="Stage">The current stage.</param>
/// <param name="BytesDone">Payload bytes the device has acknowledged, including <paramref name="BytesResumed"/>.</param>
/// <param name="BytesTotal">The payload size of the image being written (0 before the image is offered).</param>
/// <param name="BytesResumed">Payload bytes the device already held when the transfer (re)started, so they were not sent again.</param>
/// <param name="BytesPerSecond">Acknowledged payload bytes per second over the last <see cref="UpdateOptions.RateWindow"/>; 0 until measurable.</param>
/// <param name="EstimatedTimeLeft">The remaining bytes at the current rate; null until a rate is known or outside the transfer.</param>
/// <param name="ResumeCount">How many times this update resumed after a power cut, a lost link or a timeout.</param>
/// <param name="Step">1-based number of the image being written within this call (a two-copy bootloader update writes two).</param>
/// <param name="StepCount">How many images this call writes at most.</param>
public sealed record UpdateProgress(
    DeviceUid Device,
    NodeAddress Address,
    UpdateStage Stage,
    long BytesDone,
    long BytesTotal,
    long BytesResumed,
    double BytesPerSecond,
    TimeSpan? EstimatedTimeLeft,
    int ResumeCount,
    int Step,
    int StepCount)
{
    /// <summary>The fraction of the payload the device holds, 0..1 (0 while <see cref="BytesTotal"/> is unknown).</summary>
    public double Fraction => BytesTotal <= 0 ? 0 : Math.Clamp((double)BytesDone / BytesTotal, 0, 1);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Device} @ {Address}: {Stage} {BytesDone}/{BytesTotal} bytes ({Fraction:P0}), {BytesPerSecond / 1024:0.0} KiB/s" +
        (EstimatedTimeLeft is { } left ? $", {left.TotalSeconds:0.0} s left" : "") +
        (ResumeCount > 0 ? $", resumed {ResumeCount}x" : "") +
        (StepCount > 1 ? $", image {Step}/{StepCount}" : "");
}

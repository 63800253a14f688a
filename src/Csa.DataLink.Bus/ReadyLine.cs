using System.Device.Gpio;

namespace Csa.DataLink.Bus;

/// <summary>
/// A device's ready (interrupt) line: a GPIO input the slave drives active while it has bytes queued for the master.
/// When a link has one, the master reads the device when the line is active instead of polling it on a timer.
/// Several devices may share one line (wired-OR, open drain): each of their links reads its own device when it is active.
/// </summary>
/// <param name="Controller">The GPIO controller the line belongs to (a board's, or an emulated bus's <c>CreateReadyLineController()</c>).</param>
/// <param name="Pin">The line's number in <paramref name="Controller"/>'s numbering.</param>
public sealed record ReadyLine(GpioController Controller, int Pin)
{
    /// <summary>The level that means "ready": <see cref="PinValue.Low"/> (open drain with a pull-up, the usual interrupt line) by default.</summary>
    public PinValue ActiveLevel { get; init; } = PinValue.Low;

    /// <summary>Dispose <see cref="Controller"/> with the link (false by default: the controller is shared or the caller's).</summary>
    public bool OwnsController { get; init; }
}

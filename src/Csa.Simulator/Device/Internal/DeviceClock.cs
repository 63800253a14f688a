namespace Csa.Simulator.Device.Internal;

/// <summary>The device's notion of time since its last reset, read through the injected <see cref="TimeProvider"/>.</summary>
internal sealed class DeviceClock(TimeProvider timeProvider)
{
    private readonly long _resetTimestamp = timeProvider.GetTimestamp();

    public TimeProvider TimeProvider { get; } = timeProvider;

    public TimeSpan Uptime => TimeProvider.GetElapsedTime(_resetTimestamp);

    /// <summary>Milliseconds as a 32-bit tick counter carries them: wrapping after about 49 days.</summary>
    public static uint ToWireMilliseconds(TimeSpan time) => unchecked((uint)(ulong)time.TotalMilliseconds);
}

using Csa.Simulator.Device;
using Microsoft.Extensions.Time.Testing;

namespace Csa.Simulator.Tests.Device;

/// <summary>Helpers that wait for device state changes registered before the action that causes them.</summary>
internal static class StateWatch
{
    /// <summary>A task that completes at the next change into <paramref name="state"/> (not the current state).</summary>
    public static Task NextAsync(VirtualDevice device, VirtualDeviceState state)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        EventHandler<VirtualDeviceStateChange>? handler = null;
        handler = (_, change) =>
        {
            if (change.Current == state)
            {
                device.StateChanged -= handler;
                completion.TrySetResult();
            }
        };
        device.StateChanged += handler;
        return completion.Task.WaitAsync(DeviceTestSupport.HangGuard);
    }

    /// <summary>
    /// Advances <paramref name="time"/> by <paramref name="step"/> until <paramref name="until"/> completes: timers
    /// that are registered a moment after the action (on another thread) still fire.
    /// </summary>
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, TimeSpan step, Task until)
    {
        using var guard = new CancellationTokenSource(DeviceTestSupport.HangGuard);
        while (!until.IsCompleted)
        {
            guard.Token.ThrowIfCancellationRequested();
            time.Advance(step);
            await Task.WhenAny(until, Task.Delay(10, guard.Token));
        }
        await until;
    }
}

using Csa.DataLink;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// Listens for one device's announcement that it has started (Device.StateChanged from Starting, which every node sends
/// once it runs again) while the host waits for a restart it asked for: the wait ends when the device says it is back,
/// instead of after a fixed pause that must cover the slowest restart. Subscribe before the request that restarts the
/// device, so an announcement that overtakes the request's answer is not missed. A lost announcement costs the fixed
/// pause, nothing else.
/// </summary>
internal sealed class StartAnnouncement : IDisposable
{
    private readonly TaskCompletionSource<DeviceState> _heard = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IDisposable _subscription;

    public StartAnnouncement(DeviceNetwork network, NodeAddress device)
    {
        _subscription = network.Client.SubscribeEvent<StateChangedEvent>(device, DeviceInterface.Id, DeviceInterface.Events.StateChanged,
            (_, e) =>
            {
                if (e.Previous == DeviceState.Starting)
                    _heard.TrySetResult(e.Current);
            });
    }

    /// <summary>True once the device announced a start.</summary>
    public bool Heard => _heard.Task.IsCompleted;

    /// <summary>The state the device announced it started in (a bootloader waiting for or in an update, a running application); null until it did.</summary>
    public DeviceState? State => _heard.Task.IsCompletedSuccessfully ? _heard.Task.Result : null;

    /// <summary>Completes when the device announces a start.</summary>
    public Task HeardAsync => _heard.Task;

    /// <summary>Waits until the device announced a start, or <paramref name="atMost"/> has passed (on <paramref name="time"/>).</summary>
    public async Task WaitAsync(TimeSpan atMost, TimeProvider time, CancellationToken cancellationToken)
    {
        if (Heard)
            return;
        using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task delay = Task.Delay(atMost, time, pause.Token);
        await Task.WhenAny(_heard.Task, delay).ConfigureAwait(false);
        await pause.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    public void Dispose() => _subscription.Dispose();
}

using System.IO.Pipelines;
using Csa.DataLink;
using Csa.DataLink.Bus;
using Csa.Simulator.Device;
using Csa.Simulator.Device.Internal;

namespace Csa.Simulator.Hosting.Internal;

/// <summary>
/// A virtual device's bus interface: the cable into its upstream port is a <see cref="BusSlave"/> on an emulated bus.
/// The slave answers while the firmware runs (bootloader or application) and is silent while the device is off or
/// bricked (no firmware configured the peripheral); every start empties its buffers and raises the reset flag, as RAM
/// is lost. A reset waits until the master has read the answer out of the slave's queue.
/// </summary>
internal sealed class BusSlaveCable(BusSlave slave) : ILinkTransport, IPoweredCable, ITransmitCompletion
{
    private VirtualDevice? _device;

    public string Name => slave.Name;

    public PipeReader Input => slave.Transport.Input;

    public PipeWriter Output => slave.Transport.Output;

    public void PluggedInto(VirtualDevice device)
    {
        if (Interlocked.CompareExchange(ref _device, device, null) is not null)
            throw new InvalidOperationException($"{Name} is plugged into a device already.");
        device.StateChanged += OnStateChanged;
        Follow(device.State);
    }

    private void OnStateChanged(object? sender, VirtualDeviceStateChange change) => Follow(change.Current);

    private void Follow(VirtualDeviceState state)
    {
        if (state is VirtualDeviceState.Application or VirtualDeviceState.Bootloader)
            slave.PowerOn();
        else
            slave.PowerOff();
    }

    public Task WaitTransmittedAsync(CancellationToken cancellationToken) => slave.WaitUntilSentAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _device, null) is { } device)
            device.StateChanged -= OnStateChanged;
        await slave.Transport.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => Name;
}

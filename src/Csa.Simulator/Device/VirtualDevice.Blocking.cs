using Csa.Rpc.Device;

namespace Csa.Simulator.Device;

// Blocking forms for scripts (Python through pythonnet) and other callers without async.
public sealed partial class VirtualDevice : IDisposable
{
    /// <summary>Blocking form of <see cref="PowerOnAsync"/>.</summary>
    /// <returns>The state the device booted into.</returns>
    public VirtualDeviceState PowerOn() => PowerOnAsync().GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="PowerOffAsync"/>.</summary>
    public void PowerOff() => PowerOffAsync().GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="CutPowerAsync"/>.</summary>
    public void CutPower() => CutPowerAsync().GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="PowerCycleAsync"/>.</summary>
    /// <returns>The state the device booted into.</returns>
    public VirtualDeviceState PowerCycle() => PowerCycleAsync().GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="ResetAsync"/>.</summary>
    /// <returns>The state the device booted into.</returns>
    public VirtualDeviceState Reset(ResetMode mode = ResetMode.Normal) => ResetAsync(mode).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="DisposeAsync"/>: powers off cleanly, saves the flash file, unplugs the wires.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

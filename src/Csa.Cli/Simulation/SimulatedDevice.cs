using Csa.DataLink;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Cli.Simulation;

/// <summary>
/// One device of a simulation, whichever implementation of the device side it runs: the C# virtual device
/// (<see cref="VirtualSimulatedDevice"/>) or the C firmware in a csa-device process (<see cref="CSimulatedDevice"/>).
/// Both are built from the same <see cref="DeviceProfile"/>, sit on the same kinds of cables, and lose and regain power
/// the same way.
/// </summary>
internal abstract class SimulatedDevice : IAsyncDisposable
{
    protected SimulatedDevice(int index, DeviceProfile profile)
    {
        Index = index;
        Profile = profile;
    }

    /// <summary>Its position in the chain (or star).</summary>
    public int Index { get; }

    /// <summary>What it is: memory map, unique id, product, trusted keys, link limits.</summary>
    public DeviceProfile Profile { get; }

    /// <summary>A label for output and logs (<c>sim-N</c>).</summary>
    public string Name => $"sim-{Index}";

    /// <summary>True for the C firmware (<c>firmware/</c>), false for the C# virtual device.</summary>
    public abstract bool RunsCFirmware { get; }

    /// <summary>What runs: Off, Bootloader, Application or Bricked (a C device also Ended when its process ended).</summary>
    public abstract string State { get; }

    /// <summary>Where its flash persists; null when it lives in memory.</summary>
    public abstract string? FlashFilePath { get; }

    /// <summary>Plugs the cable towards the host into it.</summary>
    public abstract void AttachUpstream(ILinkTransport transport);

    /// <summary>Plugs the cable to the next device of a chain into it.</summary>
    public abstract void AttachDownstream(ILinkTransport transport);

    /// <summary>Switches the power on (a C device: starts its process the first time; it powers itself on after a cut).</summary>
    public abstract Task PowerOnAsync(CancellationToken cancellationToken);

    /// <summary>Cuts the power now, tearing a flash operation in progress.</summary>
    public abstract Task CutPowerAsync();

    public abstract ValueTask DisposeAsync();
}

/// <summary>The C# virtual device (<see cref="VirtualDevice"/>) as a member of a simulation.</summary>
internal sealed class VirtualSimulatedDevice(int index, VirtualDevice device) : SimulatedDevice(index, device.Profile)
{
    /// <summary>The virtual device itself.</summary>
    public VirtualDevice Device { get; } = device;

    public override bool RunsCFirmware => false;

    public override string State => Device.State.ToString();

    public override string? FlashFilePath => Device.FlashFilePath;

    public override void AttachUpstream(ILinkTransport transport) => Device.AttachUpstream(transport);

    public override void AttachDownstream(ILinkTransport transport) => Device.AttachDownstream(transport);

    public override Task PowerOnAsync(CancellationToken cancellationToken) => Device.PowerOnAsync(cancellationToken);

    public override Task CutPowerAsync() => Device.CutPowerAsync();

    public override ValueTask DisposeAsync() => Device.DisposeAsync();
}

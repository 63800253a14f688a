namespace Csa.Simulator.Device;

/// <summary>What a <see cref="VirtualDevice"/> is doing.</summary>
public enum VirtualDeviceState
{
    /// <summary>No power: nothing runs, bytes arriving on its wires are lost.</summary>
    Off,

    /// <summary>A bootloader copy runs and serves the Device and Bootloader interfaces.</summary>
    Bootloader,

    /// <summary>The application runs and serves the Device and DemoApp interfaces.</summary>
    Application,

    /// <summary>
    /// Powered, but the pre-bootloader found no valid bootloader copy (or no pre-bootloader): nothing runs, nothing
    /// answers and nothing is forwarded. Only a production programmer (<see cref="Firmware.FactoryProgrammer"/>) helps.
    /// </summary>
    Bricked,
}

/// <summary>A change of <see cref="VirtualDevice.State"/>.</summary>
/// <param name="Previous">The state before.</param>
/// <param name="Current">The state now.</param>
/// <param name="Reason">Why: how the device powered down, or what the start-up checks decided.</param>
public sealed record VirtualDeviceStateChange(VirtualDeviceState Previous, VirtualDeviceState Current, string Reason);

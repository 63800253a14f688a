using Csa.Rpc;

namespace Csa.Simulator.Device.Internal;

/// <summary>
/// The narrow view the device hardware has of its firmware: start it, ask it what is installed, serve its
/// bootloader interface, and persist the request to stay in the bootloader. Keeping it narrow lets the device
/// (power, wires, node, server) be reasoned about apart from the boot logic.
/// </summary>
internal interface IFirmwarePort
{
    /// <summary>Runs the pre-bootloader and the start-up checks after a reset.</summary>
    FirmwareStart Boot();

    /// <summary>The device is about to reset or lose its supply: operations the firmware waits for stop waiting.</summary>
    void Halt();

    /// <summary>The installed images as the firmware sees them now.</summary>
    FirmwareVersions ReadVersions();

    /// <summary>The bootloader's update interface, served while a bootloader runs.</summary>
    IRpcService BootloaderService { get; }

    /// <summary>The Provisioning interface, served in the bootloader and the application.</summary>
    IRpcService ProvisioningService { get; }

    /// <summary>True while the firmware performs a flash operation (an update step).</summary>
    bool IsBusy { get; }

    /// <summary>Persists the request to stay in the bootloader at the next start.</summary>
    Task RequestBootloaderAsync(ushort waitSeconds, CancellationToken cancellationToken);

    /// <summary>When a requested stay in the bootloader ends unless a host sends an update command first; null for none.</summary>
    DateTimeOffset? RequestedStayDeadline { get; }

    /// <summary>Ends a requested stay whose wait has passed (forgets the request); false when there is none or it was moved.</summary>
    Task<bool> TryEndRequestedStayAsync(CancellationToken cancellationToken);

    /// <summary>Forgets a persisted request to stay in the bootloader.</summary>
    Task ClearBootloaderRequestAsync(CancellationToken cancellationToken);
}

/// <summary>What a start-up decided.</summary>
/// <param name="State">Which image runs.</param>
/// <param name="Reason">Why (for logs and the state-change event): e.g. "application valid", "bootloader requested".</param>
/// <param name="CpuTime">How long the start-up checks take on the chip (zero unless the profile sets a CPU timing).</param>
internal sealed record FirmwareStart(VirtualDeviceState State, string Reason, TimeSpan CpuTime = default);

using Csa.DataLink;
using Csa.Rpc.Device;

namespace Csa.Simulator.Device.Internal;

/// <summary>What the Device interface asks of the device around it: the facts it reports and the resets it starts.</summary>
internal interface IDeviceControl
{
    /// <summary>The installed images as the firmware sees them now (an update in the bootloader changes them).</summary>
    FirmwareVersions ReadVersions();

    /// <summary>
    /// Resets the device, detached from the caller: when <paramref name="requester"/> is given, first waits until the
    /// answer to its command <paramref name="commandId"/> (Device interface) has been handed to the link, then waits
    /// <paramref name="delay"/>, so the answer leaves the device before the reset even with no delay.
    /// </summary>
    void ScheduleReset(ResetMode mode, TimeSpan delay, Endpoint? requester = null, ushort commandId = 0);

    /// <summary>Persists the request to stay in the bootloader (the application's half of EnterBootloader).</summary>
    Task RequestBootloaderAsync(ushort waitSeconds, CancellationToken cancellationToken);

    /// <summary>Forgets a persisted request to stay in the bootloader (Reset in normal mode).</summary>
    Task ClearBootloaderRequestAsync(CancellationToken cancellationToken);

    /// <summary>True while a flash operation or an update keeps the device from resetting.</summary>
    bool IsBusy { get; }
}

/// <summary>The version facts the Device interface reports.</summary>
internal sealed record FirmwareVersions(
    BootloaderSlot ActiveBootloader,
    ImageVersion BootloaderVersion,
    ImageVersion ApplicationVersion,
    bool ApplicationValid,
    uint SecurityCounter);

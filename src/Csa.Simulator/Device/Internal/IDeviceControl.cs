using Csa.Rpc.Device;

namespace Csa.Simulator.Device.Internal;

/// <summary>What the Device interface asks of the device around it: the facts it reports and the resets it starts.</summary>
internal interface IDeviceControl
{
    /// <summary>The installed images as the firmware sees them now (an update in the bootloader changes them).</summary>
    FirmwareVersions ReadVersions();

    /// <summary>
    /// Resets the device after <paramref name="delay"/>, detached from the caller, so the response to the command
    /// that asked for it leaves the link first.
    /// </summary>
    void ScheduleReset(ResetMode mode, TimeSpan delay);

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

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.Firmware;

namespace Csa.Simulator.Device.Internal;

/// <summary>The device's view of the real <see cref="DeviceFirmware"/>.</summary>
internal sealed class DeviceFirmwarePort(DeviceFirmware firmware) : IFirmwarePort
{
    private static readonly Csa.Rpc.Device.ImageVersion NoVersion = new(0, 0, 0, 0);

    public DeviceFirmware Firmware { get; } = firmware;

    public IRpcService BootloaderService => Firmware.Bootloader;

    public IRpcService ProvisioningService => Firmware.Provisioning;

    public bool IsBusy => Firmware.Flash.IsBusy;

    public FirmwareStart Boot()
    {
        BootDecision decision = Firmware.Boot();
        if (decision.IsBricked)
            return new FirmwareStart(VirtualDeviceState.Bricked, decision.ToString(), Firmware.BootCpuTime());
        return new FirmwareStart(decision.StartApplication ? VirtualDeviceState.Application : VirtualDeviceState.Bootloader, decision.ToString(), Firmware.BootCpuTime());
    }

    public void Halt() => Firmware.Halt();

    public FirmwareVersions ReadVersions()
    {
        FirmwareInventory inventory = Firmware.Inventory;
        RegionKind running = inventory.RunningBootloader ?? RegionKind.BootloaderA;
        FirmwareRegion application = inventory[RegionKind.Application];
        return new FirmwareVersions(
            running == RegionKind.BootloaderB ? BootloaderSlot.B : BootloaderSlot.A,
            ToWire(inventory[running].Version),
            ToWire(application.Version),
            application.State == RegionState.Valid,
            inventory.DeviceSecurityCounter);
    }

    public Task RequestBootloaderAsync(ushort waitSeconds, CancellationToken cancellationToken) =>
        Firmware.RequestBootloaderAsync(waitSeconds, cancellationToken);

    public DateTimeOffset? RequestedStayDeadline => Firmware.RequestedStayDeadline;

    public Task<bool> TryEndRequestedStayAsync(CancellationToken cancellationToken) => Firmware.TryEndRequestedStayAsync(cancellationToken);

    public Task ClearBootloaderRequestAsync(CancellationToken cancellationToken) => Firmware.ClearBootloaderRequestAsync(cancellationToken);

    internal static Csa.Rpc.Device.ImageVersion ToWire(FirmwareVersion? version) =>
        version is { } v ? new Csa.Rpc.Device.ImageVersion(v.Major, v.Minor, v.Patch, v.Build) : NoVersion;
}

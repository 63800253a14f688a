using System.Collections.Concurrent;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// DeviceMaintenance.ResetAsync (<c>csa reset</c>) sends Reset once per round (a resend could restart the device twice).
/// A running application, or a resident bootloader asked to restart into itself, answers the same after a lost Reset as
/// after a restart: only the Reset's answer or the device's start announcement tells them apart. Without either, the
/// Reset is sent again, instead of reporting a restart that never happened (docs/updates.md section 3).
/// </summary>
public sealed class MaintenanceResetTests
{
    [Theory]
    [InlineData(ResetMode.Normal)]
    [InlineData(ResetMode.Bootloader)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_Reset_lost_on_its_way_is_sent_again_until_the_device_restarts(ResetMode mode)
    {
        DeviceProfile profile = DeviceKit.Profile(7);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile));
        var maintenance = new DeviceMaintenance(rig.Network, Rig.FastOptions());
        using CancellationTokenSource guard = Rig.Guard();
        VirtualDeviceState expected = mode == ResetMode.Bootloader ? VirtualDeviceState.Bootloader : VirtualDeviceState.Application;
        DeviceInfo device = rig.Devices[0];
        if (mode == ResetMode.Bootloader)
            device = await maintenance.ResetAsync(device, ResetMode.Bootloader, guard.Token); // resident: it answers the same after a lost Reset(Bootloader)
        Assert.Equal(expected, rig.Virtual[0].State);

        var starts = new ConcurrentQueue<VirtualDeviceStateChange>();
        rig.Virtual[0].StateChanged += (_, change) => starts.Enqueue(change);
        int resets = 0;
        rig.DropFromHost(0, frame => IsReset(frame, mode) && Interlocked.Increment(ref resets) == 1); // the first Reset is lost

        DeviceInfo after = await maintenance.ResetAsync(device, mode, guard.Token);

        Assert.Equal(2, Volatile.Read(ref resets)); // lost, then asked again once
        Assert.NotEmpty(starts); // it restarted
        Assert.Equal(expected, rig.Virtual[0].State);
        Assert.Equal(mode == ResetMode.Bootloader, after.IsInBootloader);
        if (mode == ResetMode.Bootloader)
            Assert.Equal(StayReason.Requested, after.Bootloader!.StayReason);
    }

    private static bool IsReset(byte[] frame, ResetMode mode) =>
        RpcFrames.IsCommand(frame, DeviceInterface.Id, DeviceInterface.Commands.Reset) && RpcFrames.Field(frame, 0) == (byte)mode;
}

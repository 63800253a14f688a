using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Flash;
using Xunit.Abstractions;
using static Csa.Bootloader.Tests.Faults.FaultKit;

namespace Csa.Bootloader.Tests.Faults;

public sealed class ScratchDebugTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Debug_bootloader_update()
    {
        var profile = Profile(FlashFamily.Stm32F4);
        await using VirtualDevice device = FactoryDevice(profile);
        device.StateChanged += (s, e) => output.WriteLine($"state {e.Previous} -> {e.Current}: {e.Reason}");
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("cut");
        device.AttachUpstream(deviceEnd);
        await device.PowerOnAsync();
        await using HostSession host = HostSession.Create();
        NodeLink link = host.Connect(hostEnd);
        NodeAddress address = (await host.EnumerateAsync(link))[0].Address;
        device.Flash.ArmPowerCut(PowerCutPlan.BeforeOperation(0));
        var forA = Image(profile, Csa.Bootloader.Protocol.RegionKind.BootloaderA, NewVersion, 30000, 2);
        var forB = Image(profile, Csa.Bootloader.Protocol.RegionKind.BootloaderB, NewVersion, 30000, 2);
        using var dc = new DeviceClient(host.Rpc, address);
        try
        {
            await ResumingUpdateProcedure.RunAsync(host.Rpc, address, UpdatePlan.Bootloader(forA.Image, forB.Image, profile.Uid), CancellationToken.None);
        }
        catch (Exception e)
        {
            output.WriteLine(e.ToString());
        }
        await Task.Delay(500);
        output.WriteLine($"flash powered {device.Flash.IsPowered} {device.State}");
        device.Flash.DisarmPowerCut();
        output.WriteLine("power on: " + await device.PowerOnAsync());
        address = (await host.EnumerateAsync(link))[0].Address;
        using var dc2 = new DeviceClient(host.Rpc, address);
        var v = await dc2.GetVersionsAsync();
        output.WriteLine($"{v.RunningImage} {v.ActiveBootloader} {v.BootloaderVersion.Major}.{v.BootloaderVersion.Minor}");
        output.WriteLine(device.Firmware.Inventory.ToString());
    }
}

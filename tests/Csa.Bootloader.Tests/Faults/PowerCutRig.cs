using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Bootloader.Tests.Faults.FaultKit;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>One power-cut scenario: which chip, which update, how big.</summary>
public sealed record CutScenario(FlashFamily Family, UpdateTarget Target, int Size)
{
    public override string ToString() => $"{(Family == FlashFamily.Stm32F4 ? "F4" : "L4")} {(Target == UpdateTarget.Application ? "application" : "bootloader")} {Size} B";
}

/// <summary>
/// Runs an update end to end (host RPC client → data link → in-memory wire → virtual device) from a factory-fresh
/// device whose application runs, cuts the device's power at a planned flash operation, powers it on, lets the host
/// resume, and checks the device: never bricked, the new firmware in place byte for byte, both bootloader copies
/// valid, no flash rule broken.
/// </summary>
internal sealed class PowerCutRig
{
    private readonly CutScenario _scenario;
    private readonly DeviceProfile _profile;
    private readonly UpdatePlan _plan;
    private readonly TestImage _newImage;

    public PowerCutRig(CutScenario scenario)
    {
        _scenario = scenario;
        _profile = Profile(scenario.Family);
        if (scenario.Target == UpdateTarget.Application)
        {
            _newImage = Image(_profile, RegionKind.Application, NewVersion, scenario.Size, 2);
            _plan = UpdatePlan.Application(_newImage.Image, _profile.Uid);
        }
        else
        {
            TestImage forA = Image(_profile, RegionKind.BootloaderA, NewVersion, scenario.Size, 2);
            _newImage = Image(_profile, RegionKind.BootloaderB, NewVersion, scenario.Size, 2);
            _plan = UpdatePlan.Bootloader(forA.Image, _newImage.Image, _profile.Uid);
        }
    }

    /// <summary>The flash operations of an uninterrupted update, from the host's first command to the device's reset.</summary>
    public async Task<long> CountOperationsAsync() => (await RunAsync(null, null)).Operations;

    /// <summary>Cuts at <paramref name="cut"/> (and, during the resumed update, at <paramref name="secondCut"/>), then resumes to the end.</summary>
    public async Task CutAndResumeAsync(PowerCutPlan cut, PowerCutPlan? secondCut = null) => await RunAsync(cut, secondCut);

    private async Task<(long Operations, int Cuts)> RunAsync(PowerCutPlan? cut, PowerCutPlan? secondCut)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        string context = cut?.ToString() ?? "uninterrupted";
        var log = new CapturedLog();
        await using VirtualDevice device = FactoryDevice(_profile, log: log);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("cut");
        device.AttachUpstream(deviceEnd);
        Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync(guard.Token));
        // Stop-and-wait: with writes pipelined the device may finish them in another order from run to run, which
        // moves its journal checkpoints and so the flash operation numbers; cutting "before operation N" must
        // name the same operation in every run.
        await using HostSession host = HostSession.Create(window: 1);
        NodeLink link = host.Connect(hostEnd);
        NodeAddress address = (await host.EnumerateAsync(link, cancellationToken: guard.Token))[0].Address;

        long before = device.Flash.Statistics.OperationCount;
        int cuts = 0;
        foreach (PowerCutPlan? plan in new[] { cut, secondCut })
        {
            if (plan is null)
                break;
            device.Flash.ArmPowerCut(plan);
            if (await AttemptUntilPowerLossAsync(device, host, address, log, guard.Token))
            {
                cuts++;
                address = await PowerOnAndFindAsync(device, host, link, context, guard.Token);
            }
            device.Flash.DisarmPowerCut();
        }
        try
        {
            await ResumingUpdateProcedure.RunAsync(host.Rpc, address, _plan, guard.Token);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{context}: the resumed update failed; device {device.State} ({device.StateReason}), flash powered {device.Flash.IsPowered}, {device.Flash.Statistics.PowerCuts} cuts; {device.Firmware.Inventory}; device log: {log}", e);
        }
        long operations = device.Flash.Statistics.OperationCount - before;

        AssertUpdated(device, context);
        if (cut is not null)
            Assert.True(cuts >= 1, $"{context}: the planned cut never fired ({operations} operations)");
        return (operations, cuts);
    }

    /// <summary>Runs the update until the device loses power; false when it completed first (a cut planned past its end).</summary>
    private async Task<bool> AttemptUntilPowerLossAsync(VirtualDevice device, HostSession host, NodeAddress address, CapturedLog log, CancellationToken cancellationToken)
    {
        using var powerLost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The host cannot see a power cut; it would notice by timeouts. Cancelling when the device goes off
        // stands for the operator (or the host's timeout) giving up, without waiting seconds per cut point.
        void OnChange(object? sender, VirtualDeviceStateChange change)
        {
            if (change.Current == VirtualDeviceState.Off && !device.Flash.IsPowered)
                powerLost.Cancel();
        }
        device.StateChanged += OnChange;
        try
        {
            await ResumingUpdateProcedure.RunAsync(host.Rpc, address, _plan, powerLost.Token);
            return device.Flash.Statistics.PowerCuts > 0;
        }
        catch (Exception) when (powerLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"the update failed without a power cut: device {device.State} ({device.StateReason}), flash powered {device.Flash.IsPowered}, {device.Flash.Statistics.PowerCuts} cuts, {device.Flash.Statistics.OperationCount} operations; {device.Firmware.Inventory}; device log: {log}", e);
        }
        finally
        {
            device.StateChanged -= OnChange;
        }
    }

    private async Task<NodeAddress> PowerOnAndFindAsync(VirtualDevice device, HostSession host, NodeLink link, string context, CancellationToken cancellationToken)
    {
        await device.WaitForStateAsync(VirtualDeviceState.Off, cancellationToken);
        VirtualDeviceState state = await PowerOnAsync(device, cancellationToken);
        BootDecision boot = device.Firmware.LastBoot!;
        Assert.False(state == VirtualDeviceState.Bricked || boot.IsBricked, $"bricked after {context}: {device.StateReason}");
        Assert.Equal(RegionState.Valid, device.Firmware.Inventory[boot.RunningBootloader!.Value].State);
        AssertNoFlashRuleViolated(device, context);
        return (await host.EnumerateAsync(link, cancellationToken: cancellationToken))[0].Address;
    }

    /// <summary>
    /// Powers on. The device releases its wire from the powered-down node asynchronously, so a power-on right after
    /// a cut can find the wire still lent ("already lent to a running node"); a moment later it is free.
    /// </summary>
    public static async Task<VirtualDeviceState> PowerOnAsync(VirtualDevice device, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await device.PowerOnAsync(cancellationToken);
            }
            catch (InvalidOperationException) when (attempt < 50)
            {
                await Task.Delay(10, cancellationToken);
            }
        }
    }

    private void AssertUpdated(VirtualDevice device, string context)
    {
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.True(inventory[RegionKind.BootloaderA].State == RegionState.Valid, $"{context}: copy A {inventory[RegionKind.BootloaderA]}");
        Assert.True(inventory[RegionKind.BootloaderB].State == RegionState.Valid, $"{context}: copy B {inventory[RegionKind.BootloaderB]}");
        Assert.True(inventory[RegionKind.Application].State == RegionState.Valid, $"{context}: application {inventory[RegionKind.Application]}");
        RegionKind updated;
        if (_scenario.Target == UpdateTarget.Application)
        {
            updated = RegionKind.Application;
            Assert.True(inventory.ApplicationRunning, $"{context}: {inventory}");
            Assert.Equal(NewVersion, inventory[RegionKind.Application].Version);
        }
        else
        {
            updated = inventory.RunningBootloader!.Value;
            Assert.Equal(NewVersion, inventory[updated].Version);
            Assert.Equal(OldVersion, inventory[updated == RegionKind.BootloaderA ? RegionKind.BootloaderB : RegionKind.BootloaderA].Version);
        }
        byte[] stored = device.Flash.ReadRaw(RegionOf(_profile, updated).Address, _scenario.Size);
        // A bootloader resumed after a cut that made copy B run may have gone to copy A: compare with that copy's image.
        byte[] expected = updated == RegionKind.BootloaderA ? Image(_profile, RegionKind.BootloaderA, NewVersion, _scenario.Size, 2).Plaintext : _newImage.Plaintext;
        Assert.True(stored.AsSpan().SequenceEqual(expected), $"{context}: the {updated} region differs from the image payload");
        Assert.True(inventory.DeviceSecurityCounter >= 2, $"{context}: security counter {inventory.DeviceSecurityCounter}");
        AssertNoFlashRuleViolated(device, context);
    }
}

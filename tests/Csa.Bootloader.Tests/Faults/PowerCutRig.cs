using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using static Csa.Testing.DeviceKit;

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
    private readonly FirmwareImage _newImage;

    public PowerCutRig(CutScenario scenario)
    {
        _scenario = scenario;
        _profile = Profile(family: scenario.Family);
        if (scenario.Target == UpdateTarget.Application)
        {
            _newImage = Image(_profile, RegionKind.Application, V2, scenario.Size, 2);
            _plan = UpdatePlan.Application(_newImage, _profile.Uid);
        }
        else
        {
            FirmwareImage forA = Image(_profile, RegionKind.BootloaderA, V2, scenario.Size, 2);
            _newImage = Image(_profile, RegionKind.BootloaderB, V2, scenario.Size, 2);
            _plan = UpdatePlan.Bootloader(forA, _newImage, _profile.Uid);
        }
    }

    /// <summary>The flash operations of an uninterrupted update, from the updater's first command to the confirmed new image.</summary>
    public async Task<long> CountOperationsAsync() => (await RunAsync(null, null)).Operations;

    /// <summary>Cuts at <paramref name="cut"/> (and, after the device is back, at <paramref name="secondCut"/>); the updater must resume to the end.</summary>
    public async Task<UpdateResult> CutAndResumeAsync(PowerCutPlan cut, PowerCutPlan? secondCut = null) => (await RunAsync(cut, secondCut)).Result;

    /// <summary>
    /// Timeouts for instant flash on an in-memory wire. The device's port goes with its supply (a board whose USB serial
    /// bridge it powers itself: <see cref="UsbSerialDevicePort"/>), so the updater learns of a cut from its link closing, as
    /// a host does on a real port, not from these timeouts; they only bound a lost answer (never a performance assertion:
    /// a slow answer is resent, and the update resumes from the device's journal either way).
    /// </summary>
    private static UpdateOptions UpdaterOptions() => new()
    {
        Retry = new() { Timeout = TimeSpan.FromMilliseconds(300), Attempts = 2 },
        EraseTimeout = TimeSpan.FromMilliseconds(300),
        RestartPollInterval = TimeSpan.FromMilliseconds(10),
        RestartTimeout = TimeSpan.FromSeconds(10), // above twice the updater's 3 s EnterBootloader resend interval
        AddressRetentionGrace = TimeSpan.FromMilliseconds(200),
        ResumeDelay = TimeSpan.FromMilliseconds(20),
        MaxResumeAttempts = 8,
        // Stop-and-wait: with writes pipelined the device may finish them in another order from run to run, which
        // moves its journal checkpoints and so the flash operation numbers; "before operation N" must name the same
        // operation in every run.
        MaxWritesInFlight = 1,
        // The device's largest write (not the default one-frame write): a quarter of the operations to sweep.
        WriteChunkSize = 4096,
    };

    private async Task<(long Operations, UpdateResult Result)> RunAsync(PowerCutPlan? cut, PowerCutPlan? secondCut)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        string context = cut is null ? "uninterrupted" : secondCut is null ? cut.ToString() : $"{cut}, then {secondCut}";
        var log = new CapturedLog();
        await using VirtualDevice device = Device(_profile, firmware: FreshBothCopies, options: new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false, LoggerFactory = log });
        // The board's own USB serial bridge: its port goes with the device's supply, so the host sees a power cut at once
        // (its end of the port closes) and opens the port again when the device is back, as it would a real one.
        await using UsbSerialDevicePort usb = UsbSerialDevicePort.Attach(device);
        Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync(guard.Token));
        NetworkLink port = NetworkLink.FromFactory(usb.Name, usb.OpenAsync);
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync([port], new DeviceNetworkOptions
        {
                Retry = new() { Timeout = TimeSpan.FromMilliseconds(300) },
            LinkManagementTimeout = TimeSpan.FromMilliseconds(100),
            AddressesPerLink = 1, // a point-to-point port: enumeration ends at the device
        }, guard.Token);
        DeviceInfo info = (await network.DiscoverAsync(guard.Token)).Single();
        var updater = new FirmwareUpdater(network, UpdaterOptions());

        await using var power = new PowerRestorer(device, secondCut, context, guard.Token);
        long before = device.Flash.Statistics.OperationCount;
        if (cut is not null)
            device.Flash.ArmPowerCut(cut);
        UpdateResult result = await UpdateAsync(updater, info, device, power, log, context, guard.Token);
        // The device may still write flash after the host has confirmed the new image (the new application's start-up
        // bookkeeping); a cut there takes it down after the updater returned. Give it a moment, and if it went down,
        // run the updater again, as the host would at its next contact.
        // The quiet spell is a guess (a loaded machine can hold the bookkeeping back longer), so the cut is disarmed
        // and only then is it asked whether a cut came meanwhile, before or after the quiet spell: nothing can fire while
        // the end state is read.
        long cutsSeen = device.Flash.Statistics.PowerCuts;
        for (int round = 0; ; round++)
        {
            await QuiesceAsync(device, power, guard.Token);
            device.Flash.DisarmPowerCut();
            await BackOnAsync(device, power, guard.Token);
            if (device.Flash.Statistics.PowerCuts == cutsSeen)
                break;
            Assert.True(round < 4, $"{context}: the device went down after the updater returned {round + 1} times");
            cutsSeen = device.Flash.Statistics.PowerCuts;
            info = (await network.DiscoverAsync(guard.Token)).Single();
            result = await UpdateAsync(updater, info, device, power, log, context, guard.Token);
        }
        device.Flash.DisarmPowerCut(); // a second cut a restore armed while the device came back
        long operations = device.Flash.Statistics.OperationCount - before;
        AssertUpdated(device, context);
        if (cut is not null)
        {
            Assert.True(device.Flash.Statistics.PowerCuts >= 1, $"{context}: the planned cut never fired ({operations} operations)");
            // Not asserted: that the updater counted a resume. A cut after the commit marker leaves the new image
            // valid, and an updater that finds it running on its next contact has nothing to resume; what must hold
            // is the device's end state, checked above.
        }
        return (operations, result);
    }

    /// <summary>
    /// Waits until the device has stopped writing flash (no new operation for 20 ms: on instant flash a write in progress
    /// takes microseconds) and any power-on after a late cut is done.
    /// </summary>
    private static async Task QuiesceAsync(VirtualDevice device, PowerRestorer power, CancellationToken cancellationToken)
    {
        for (int round = 0; round < 250; round++)
        {
            long operations = device.Flash.Statistics.OperationCount;
            await Task.Delay(20, cancellationToken);
            await power.DrainAsync();
            if (operations == device.Flash.Statistics.OperationCount && device.State != VirtualDeviceState.Off)
                return;
        }
    }

    /// <summary>Waits until a device whose power was cut is on again (the restorer powers it on) and every restore is done.</summary>
    private static async Task BackOnAsync(VirtualDevice device, PowerRestorer power, CancellationToken cancellationToken)
    {
        await power.DrainAsync();
        while (device.State == VirtualDeviceState.Off || !device.Flash.IsPowered)
        {
            await Task.Delay(10, cancellationToken);
            await power.DrainAsync();
        }
    }

    private async Task<UpdateResult> UpdateAsync(FirmwareUpdater updater, DeviceInfo info, VirtualDevice device, PowerRestorer power, CapturedLog log, string context, CancellationToken cancellationToken)
    {
        try
        {
            return _scenario.Target == UpdateTarget.Application
                ? await updater.UpdateApplicationAsync(info, _plan.ForApplication, null, cancellationToken)
                : await updater.UpdateBootloaderAsync(info, [_plan.ForCopyA!, _plan.ForCopyB!], false, null, cancellationToken);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"{context}: the updater did not complete; device {device.State} ({device.StateReason}), flash powered {device.Flash.IsPowered}, " +
                $"{device.Flash.Statistics.PowerCuts} cuts, restorer: {power}; {device.Firmware.Inventory}; device log: {log}", e);
        }
    }

    /// <summary>
    /// Switches the device on again whenever its power was cut (as the operator, or a watchdog supply, would), checks
    /// it boots a valid bootloader, and arms the second cut once the device is back.
    /// </summary>
    private sealed class PowerRestorer : IAsyncDisposable
    {
        private readonly VirtualDevice _device;
        private readonly string _context;
        private readonly CancellationToken _cancellationToken;
        private readonly List<Task> _restores = [];
        private PowerCutPlan? _next;
        private int _restored;

        public PowerRestorer(VirtualDevice device, PowerCutPlan? next, string context, CancellationToken cancellationToken)
        {
            _device = device;
            _next = next;
            _context = context;
            _cancellationToken = cancellationToken;
            device.StateChanged += OnStateChanged;
        }

        public override string ToString() => $"{_restored} power-ons after a cut";

        private void OnStateChanged(object? sender, VirtualDeviceStateChange change)
        {
            if (change.Current != VirtualDeviceState.Off || _device.Flash.IsPowered)
                return; // a reset, not a cut
            lock (_restores)
                _restores.Add(Task.Run(RestoreAsync));
        }

        private async Task RestoreAsync()
        {
            await _device.WaitForStateAsync(VirtualDeviceState.Off, _cancellationToken);
            PowerCutPlan? next = Interlocked.Exchange(ref _next, null);
            _device.Flash.DisarmPowerCut();
            VirtualDeviceState state = await PowerOnAsync(_device, _cancellationToken);
            BootDecision boot = _device.Firmware.LastBoot!;
            Assert.False(state == VirtualDeviceState.Bricked || boot.IsBricked, $"bricked after {_context}: {_device.StateReason}");
            Assert.Equal(RegionState.Valid, _device.Firmware.Inventory[boot.RunningBootloader!.Value].State);
            AssertNoFlashRuleViolated(_device, _context);
            Interlocked.Increment(ref _restored);
            if (next is not null)
                _device.Flash.ArmPowerCut(next);
        }

        public async Task DrainAsync()
        {
            Task[] restores;
            lock (_restores)
                restores = [.. _restores];
            await Task.WhenAll(restores);
        }

        public async ValueTask DisposeAsync()
        {
            _device.StateChanged -= OnStateChanged;
            try
            {
                await DrainAsync();
            }
            catch (Exception) when (_cancellationToken.IsCancellationRequested)
            {
                // The test is failing already.
            }
        }
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
            Assert.Equal(V2, inventory[RegionKind.Application].Version);
        }
        else
        {
            updated = inventory.RunningBootloader!.Value;
            Assert.Equal(V2, inventory[updated].Version);
            Assert.Equal(V1, inventory[updated == RegionKind.BootloaderA ? RegionKind.BootloaderB : RegionKind.BootloaderA].Version);
        }
        byte[] stored = device.Flash.ReadRaw(_profile.MemoryMap.RegionOf(updated).Address, _scenario.Size);
        // A bootloader resumed after a cut that made copy B run may have gone to copy A: compare with that copy's image.
        byte[] expected = Plaintext(updated, V2, _scenario.Size);
        Assert.True(stored.AsSpan().SequenceEqual(expected), $"{context}: the {updated} region differs from the image payload");
        Assert.True(inventory.DeviceSecurityCounter >= 2, $"{context}: security counter {inventory.DeviceSecurityCounter}");
        AssertNoFlashRuleViolated(device, context);
    }
}

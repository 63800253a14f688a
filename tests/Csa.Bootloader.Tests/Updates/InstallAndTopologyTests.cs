using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

public sealed class InstallAndTopologyTests
{
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Production_install_many_devices_in_parallel_each_with_its_own_image_one_bad_row_does_not_stop_the_others()
    {
        DeviceProfile[] profiles = Enumerable.Range(30, 5).Select(i => DeviceKit.Profile(i, requireBinding: true)).ToArray();
        await using Rig rig = await Rig.StarAsync(profiles.Length, i => DeviceKit.Device(profiles[i], withApplication: i % 2 == 0));
        var asked = new ConcurrentBag<DeviceUid>();
        DeviceUid refused = profiles[3].Uid;
        var log = new ProgressLog();
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.InstallAsync(rig.Devices, (device, _) =>
        {
            asked.Add(device.Uid);
            DeviceProfile profile = profiles.Single(p => p.Uid == device.Uid);
            // The signing seam makes an image bound to (and encrypted for) this device only; one device gets another's.
            FirmwareImage image = device.Uid == refused
                ? DeviceKit.App(profiles[0], DeviceKit.V2, counter: 2, bind: true, encrypt: true)
                : DeviceKit.App(profile, DeviceKit.V2, counter: 2, bind: true, encrypt: true);
            return Task.FromResult(image);
        }, maxParallel: 3, log, guard.Token);

        Assert.Equal(rig.Devices.Select(d => d.Uid), rows.Select(r => r.Device));
        Assert.Equal(profiles.Length, asked.Distinct().Count());
        foreach (InstallResult row in rows)
        {
            if (row.Device == refused)
            {
                Assert.False(row.Succeeded);
                var rejection = Assert.IsType<UpdateRejectedException>(row.Error);
                Assert.Equal(ImageRejection.NotBoundToThisDevice, rejection.LocalRejection);
                Assert.Contains("bound", row.FailureReason, StringComparison.OrdinalIgnoreCase);
                Assert.Null(row.VersionAfter);
                continue;
            }
            Assert.True(row.Succeeded, row.FailureReason);
            Assert.Equal(DeviceKit.V2, row.VersionAfter);
            Assert.True(row.BytesSent >= 20_000);
            Assert.NotNull(row.Result);
        }
        Assert.Equal(DeviceKit.V1, rows[0].VersionBefore);
        Assert.Null(rows[1].VersionBefore); // no application before
        foreach (VirtualDevice device in rig.Virtual.Where(d => d.Profile.Uid != refused))
        {
            Assert.Equal(VirtualDeviceState.Application, device.State);
            Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        }
        // Progress names every device that transferred.
        Assert.Equal(profiles.Length - 1, log.Reports.Where(r => r.Stage == UpdateStage.Done).Select(r => r.Device).Distinct().Count());
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Star_of_eight_is_updated_concurrently()
    {
        DeviceProfile[] profiles = Enumerable.Range(40, 8).Select(i => DeviceKit.Profile(i, i % 2 == 0 ? FlashFamily.Stm32F4 : FlashFamily.Stm32L4)).ToArray();
        await using Rig rig = await Rig.StarAsync(8, i => DeviceKit.Device(profiles[i]));
        Assert.Equal(8, rig.Devices.Select(d => d.LinkIndex).Distinct().Count());
        Assert.Equal(8, rig.Devices.Select(d => d.Address).Distinct().Count());
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select(d =>
            rig.Updater.UpdateApplicationAsync(d, DeviceKit.App(profiles.Single(p => p.Uid == d.Uid), DeviceKit.V2, size: 30_000, counter: 2), null, guard.Token)));

        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        Assert.All(rig.Virtual, d => Assert.Equal(VirtualDeviceState.Application, d.State));
        Assert.All(rig.Virtual, d => Assert.Equal(DeviceKit.V2, d.Firmware.Inventory[RegionKind.Application].Version));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Daisy_chain_of_four_is_discovered_in_order_and_updated_concurrently()
    {
        // Different frame limits along the chain: the path limit is the smallest so far.
        ushort[] frames = [1024, 512, 1024, 256];
        DeviceProfile[] profiles = Enumerable.Range(50, 4).Select(i => DeviceKit.Profile(i, maxFrameSize: frames[i - 50])).ToArray();
        await using Rig rig = await Rig.ChainAsync(4, i => DeviceKit.Device(profiles[i]));
        Assert.Equal([0, 1, 2, 3], rig.Devices.Select(d => d.ChainPosition));
        Assert.Equal(profiles.Select(p => p.Uid), rig.Devices.Select(d => d.Uid));
        Assert.Equal([1024, 512, 512, 256], rig.Devices.Select(d => d.PathFrameSize));
        Assert.All(rig.Devices, d => Assert.Equal(0, d.LinkIndex));
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select((d, i) =>
            rig.Updater.UpdateApplicationAsync(d, DeviceKit.App(profiles[i], DeviceKit.V2, size: 24_000, counter: 2), null, guard.Token)));

        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        // A software reset keeps the address: nobody had to be enumerated again.
        Assert.Equal(rig.Devices.Select(d => d.Address), results.Select(r => r.Address));
        Assert.All(rig.Virtual, d => Assert.Equal(VirtualDeviceState.Application, d.State));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Daisy_chain_power_cut_of_the_first_device_all_updates_still_complete()
    {
        DeviceProfile[] profiles = Enumerable.Range(60, 3).Select(i => DeviceKit.Profile(i, FlashFamily.Stm32L4)).ToArray();
        UpdateOptions options = Rig.FastOptions();
        options = options with { Retry = options.Retry with { Attempts = 2 }, MaxResumeAttempts = 20 };
        await using Rig rig = await Rig.ChainAsync(3, i => DeviceKit.Device(profiles[i]), options);
        VirtualDevice first = rig.Virtual[0];
        using var supply = new PowerSupply(first);
        int fired = 0;
        var log = new ProgressLog(p =>
        {
            // Device 0 forwards for the others: its power cut stops all three transfers.
            if (p.Device == first.Profile.Uid && p.Stage == UpdateStage.Transferring && p.BytesDone >= 36_000 && Interlocked.Exchange(ref fired, 1) == 0)
                _ = first.CutPowerAsync(); // falls silent at once, on the reporting thread
        });
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult[] results = await Task.WhenAll(rig.Devices.Select((d, i) =>
            rig.Updater.UpdateApplicationAsync(d, DeviceKit.App(profiles[i], DeviceKit.V2, size: 60_000, counter: 2), log, guard.Token)));

        Assert.All(results, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        Assert.True(results[0].ResumeCount >= 1);
        Assert.True(results[0].BytesResumed > 0);
        Assert.All(rig.Virtual, d => Assert.Equal(VirtualDeviceState.Application, d.State));
        // Enumeration in chain order gave every device its address back.
        Assert.Equal(rig.Devices.Select(d => d.Address), results.Select(r => r.Address));
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task Cancelled_install_returns_the_table_with_the_unfinished_rows_cancelled()
    {
        DeviceProfile[] profiles = Enumerable.Range(120, 3).Select(i => DeviceKit.Profile(i)).ToArray();
        await using Rig rig = await Rig.StarAsync(3, i => DeviceKit.Device(profiles[i]));
        using var cancel = new CancellationTokenSource();
        var log = new ProgressLog(p =>
        {
            if (p.Stage == UpdateStage.Transferring && p.BytesDone >= 10_000)
                cancel.Cancel();
        });

        // One device at a time: the first is cancelled mid-transfer, the others never start.
        IReadOnlyList<InstallResult> rows = await rig.Updater.InstallAsync(rig.Devices,
            (d, _) => Task.FromResult(DeviceKit.App(profiles.Single(p => p.Uid == d.Uid), DeviceKit.V2, size: 40_000, counter: 2)),
            maxParallel: 1, log, cancel.Token);

        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.False(r.Succeeded));
        Assert.All(rows, r => Assert.Equal("cancelled", r.FailureReason));
        Assert.All(rows, r => Assert.IsAssignableFrom<OperationCanceledException>(r.Error));
        Assert.Single(rig.Virtual, d => d.State == VirtualDeviceState.Bootloader); // the interrupted one waits, resumable
    }
}

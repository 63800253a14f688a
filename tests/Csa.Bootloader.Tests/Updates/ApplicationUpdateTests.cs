using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

public sealed class ApplicationUpdateTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Update_from_running_application_ends_with_the_new_version_running()
    {
        DeviceProfile profile = DeviceKit.Profile();
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile));
        DeviceInfo before = rig.Devices[0];
        Assert.False(before.IsInBootloader);
        Assert.Equal(DeviceKit.V1, before.ApplicationVersion);
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 50_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(before, image, null, guard.Token);

        Assert.Equal(DeviceKit.V1, result.VersionBefore);
        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(UpdateTarget.Application, result.Target);
        Assert.Equal(image.Payload.Length, result.BytesSent);
        Assert.Equal(0, result.BytesResumed);
        Assert.Equal(0, result.ResumeCount);
        VirtualDevice device = rig.Virtual[0];
        Assert.Equal(VirtualDeviceState.Application, device.State);
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(DeviceKit.V2, inventory[RegionKind.Application].Version);
        Assert.Equal(2u, inventory.DeviceSecurityCounter);
        DeviceInfo after = await rig.Network.RefreshAsync(before, guard.Token);
        Assert.Equal(DeviceKit.V2, after.ApplicationVersion);
        Assert.True(after.ApplicationValid);
    }
}

public sealed class ApplicationUpdateScenarioTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-INST")]
    public async Task Device_without_application_waiting_in_its_bootloader_gets_one()
    {
        DeviceProfile profile = DeviceKit.Profile();
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile, withApplication: false));
        DeviceInfo before = rig.Devices[0];
        Assert.True(before.IsInBootloader);
        Assert.False(before.ApplicationValid);
        Assert.Equal(StayReason.NoValidApplication, before.Bootloader!.StayReason);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(before, DeviceKit.App(profile, DeviceKit.V1), null, guard.Token);

        Assert.Null(result.VersionBefore);
        Assert.Equal(DeviceKit.V1, result.VersionAfter);
        Assert.Equal(VirtualDeviceState.Application, rig.Virtual[0].State);
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.DISCLOSURE")]
    public async Task Encrypted_device_bound_image_is_installed_and_runs_on_an_L4()
    {
        DeviceProfile profile = DeviceKit.Profile(3, FlashFamily.Stm32L4, requireBinding: true, requireEncryption: true);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile, withApplication: false));
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 30_000, counter: 2, bind: true, encrypt: true);
        Assert.Equal(ImageEncryption.Aes256CtrEciesP256, image.Manifest.Encryption);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        VirtualDevice device = rig.Virtual[0];
        FirmwareRegion app = device.Firmware.Inventory[RegionKind.Application];
        Assert.Equal(RegionState.Valid, app.State);
        // The device stores the plaintext: its hash is the manifest's, and the ciphertext is not what flash holds.
        byte[] stored = device.Flash.ReadRaw(app.Start, image.Payload.Length);
        Assert.Equal(image.Manifest.PayloadSha256.ToArray(), System.Security.Cryptography.SHA256.HashData(stored));
        Assert.NotEqual(image.Payload.ToArray(), stored);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Progress_reports_every_stage_in_order_and_bytes_up_to_the_total()
    {
        DeviceProfile profile = DeviceKit.Profile();
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile));
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 40_000, counter: 1);
        var log = new ProgressLog();
        using CancellationTokenSource guard = Rig.Guard();

        await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, log, guard.Token);

        IReadOnlyList<UpdateProgress> reports = log.Reports;
        UpdateStage[] stages = reports.Select(r => r.Stage).Distinct().ToArray();
        Assert.Equal(
            [UpdateStage.Connecting, UpdateStage.EnteringBootloader, UpdateStage.Checking, UpdateStage.Erasing, UpdateStage.Transferring,
             UpdateStage.Verifying, UpdateStage.Restarting, UpdateStage.Confirming, UpdateStage.Done],
            stages);
        // Stages never go back.
        for (int i = 1; i < reports.Count; i++)
            Assert.True(reports[i].Stage >= reports[i - 1].Stage, $"{reports[i - 1].Stage} then {reports[i].Stage}");
        UpdateProgress[] transfer = reports.Where(r => r.Stage == UpdateStage.Transferring).ToArray();
        Assert.True(transfer.Length >= image.Payload.Length / 1024, $"{transfer.Length} transfer reports");
        Assert.All(transfer, r => Assert.Equal(image.Payload.Length, r.BytesTotal));
        Assert.Equal(image.Payload.Length, transfer.Max(r => r.BytesDone));
        Assert.Contains(transfer, r => r.BytesPerSecond > 0 && r.EstimatedTimeLeft is not null);
        UpdateProgress done = reports[^1];
        Assert.Equal(UpdateStage.Done, done.Stage);
        Assert.Equal(1.0, done.Fraction);
        Assert.Equal(0, done.ResumeCount);
        Assert.All(reports, r => Assert.Equal(profile.Uid, r.Device));
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Writes_are_pipelined_in_single_frame_chunks_and_the_window_can_be_lowered()
    {
        DeviceProfile profile = DeviceKit.Profile(maxFrameSize: 256, receiveBuffers: 6);
        UpdateOptions options = Rig.FastOptions();
        options = options with { MaxWritesInFlight = 1 };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), options);
        Assert.Equal(256, rig.Devices[0].PathFrameSize);
        Assert.Equal(6, rig.Devices[0].ReceiveBuffers);
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 10_000);
        var log = new ProgressLog();
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, log, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        // 256-byte frames carry 256 - 27 = 229 bytes of write data, aligned down to 16: 224 bytes per write.
        long[] steps = log.Reports.Where(r => r.Stage == UpdateStage.Transferring).Select(r => r.BytesDone).ToArray();
        long[] deltas = steps.Zip(steps.Skip(1), (a, b) => b - a).ToArray();
        Assert.All(deltas[..^1], d => Assert.Equal(224, d));
    }
}

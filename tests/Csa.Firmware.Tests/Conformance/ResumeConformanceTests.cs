using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// REQ-RECOVER against both implementations: a power cut in the middle of a transfer resumes in the same call from
/// what the device kept (its journal's watermark), a host that crashed mid-transfer is followed by another that sends
/// only the rest, and a cut during a bootloader update leaves a device that starts and finishes it.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class ResumeConformanceTests
{
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_power_cut_in_the_middle_of_the_transfer_is_resumed_in_the_same_call(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 30);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        FirmwareImage image = Image(product, RegionKind.Application, V2, size: 200_000, counter: 2);
        var progress = CutOnce(dut, 90_000);

        UpdateResult result = await host.Updater.UpdateApplicationAsync(host.Device, image, progress, guard.Token);

        Assert.Equal(1, dut.PowerCuts);
        Assert.True(result.ResumeCount >= 1, $"resumes {result.ResumeCount}");
        // The device kept what it had committed up to its last checkpoint (one receive window here, 4 KiB): the resume
        // started near the cut, not over, and the bytes sent twice are at most that and the writes in flight.
        long window = product.ReceiveBuffers * product.MaxFrameSize;
        Assert.True(result.BytesResumed >= 90_000 - (2 * window), $"resumed from {result.BytesResumed}");
        Assert.True(result.BytesSent - 200_000 <= 3 * window, $"sent {result.BytesSent} for a 200000-byte payload");
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.Equal(V2, now.ApplicationVersion);
        Assert.Equal(image.Payload.ToArray(), dut.Snapshot().Region(product.Map.Application)[..image.Payload.Length]);
        (dut as VirtualDeviceUnderTest)?.AssertNoFlashRuleBroken();
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task After_a_host_crash_mid_transfer_the_next_host_sends_only_the_rest(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 31);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        FirmwareImage image = Image(product, RegionKind.Application, V2, size: 150_000, counter: 2);

        // The first host dies when half the payload is acknowledged: its process ends, its link closes.
        await using (ConformanceHost first = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token))
        {
            using var crash = CancellationTokenSource.CreateLinkedTokenSource(guard.Token);
            var progress = new ConformanceData.ProgressLog(p =>
            {
                if (p.Stage == UpdateStage.Transferring && p.BytesDone >= 75_000)
                    crash.Cancel();
            });
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first.Updater.UpdateApplicationAsync(first.Device, image, progress, crash.Token));
        }

        await using ConformanceHost second = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        Assert.True(second.Device.IsInBootloader);
        BootloaderStatus status = second.Device.Bootloader!;
        Assert.Equal(UpdatePhase.Receiving, status.Phase);
        Assert.True(status.BytesCommitted > 0);
        UpdateResult result = await second.Updater.UpdateApplicationAsync(second.Device, image, null, guard.Token);

        Assert.True(result.BytesResumed > 0 && result.BytesSent < 150_000, $"resumed {result.BytesResumed}, sent {result.BytesSent}");
        Assert.Equal(V2, (await second.ReadAsync(guard.Token)).ApplicationVersion);
        (dut as VirtualDeviceUnderTest)?.AssertNoFlashRuleBroken();
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public async Task A_power_cut_during_a_bootloader_update_is_resumed_and_the_new_copy_runs(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 32);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        FirmwareImage image = Image(product, RegionKind.BootloaderB, V2, size: 60_000, counter: 2);
        var progress = CutOnce(dut, 30_000);

        UpdateResult result = await host.Updater.UpdateBootloaderAsync(host.Device, image, false, progress, guard.Token);

        Assert.Equal(1, dut.PowerCuts);
        Assert.Equal(V2, result.VersionAfter);
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.Equal((V2, Csa.Rpc.Device.BootloaderSlot.B, V1), (now.BootloaderVersion, now.ActiveBootloader, now.ApplicationVersion));
    }

    /// <summary>
    /// Cuts the device's power once, when <paramref name="bytes"/> are acknowledged: inside the updater's progress
    /// report, which it makes in its write loop, so the cut lands while the transfer is in progress however fast the
    /// link is (the report waits until the power is back).
    /// </summary>
    private static ConformanceData.ProgressLog CutOnce(IDeviceUnderTest dut, long bytes)
    {
        int cut = 0;
        return new ConformanceData.ProgressLog(p =>
        {
            if (p.Stage == UpdateStage.Transferring && p.BytesDone >= bytes && Interlocked.Exchange(ref cut, 1) == 0)
                dut.CutPowerAsync().GetAwaiter().GetResult();
        });
    }
}

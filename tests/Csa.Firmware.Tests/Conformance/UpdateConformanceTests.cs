using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// Updates that succeed, through the host SDK, against the C# virtual device and the C device alike: the application
/// from a running application, the bootloader through the other copy (and the application under the new bootloader),
/// a device without an application, and a product that binds images to the chip. The same assertions for both: what
/// the device reports over the protocol afterwards and what its flash holds, byte for byte.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class UpdateConformanceTests
{
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    public async Task The_application_is_updated_from_the_running_application_and_the_new_version_runs(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 1);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        Assert.False(host.Device.IsInBootloader);
        Assert.Equal(V1, host.Device.ApplicationVersion);
        Assert.Equal(1u, host.Device.SecurityCounter);
        FlashSnapshot before = dut.Snapshot();
        FirmwareImage image = Image(product, RegionKind.Application, V2, size: 70_000, counter: 2);
        var progress = new ConformanceData.ProgressLog();

        UpdateResult result = await host.Updater.UpdateApplicationAsync(host.Device, image, progress, guard.Token);

        Assert.Equal(V1, result.VersionBefore);
        Assert.Equal(V2, result.VersionAfter);
        Assert.Equal(70_000, result.BytesSent);
        Assert.Equal(0, result.ResumeCount);
        Assert.Contains(progress.Reports, p => p.Stage == UpdateStage.EnteringBootloader);
        Assert.Contains(progress.Reports, p => p.Stage == UpdateStage.Transferring);
        // What the device says now, over the Device interface: the new application runs, the counter moved.
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.False(now.IsInBootloader);
        Assert.True(now.ApplicationValid);
        Assert.Equal(V2, now.ApplicationVersion);
        Assert.Equal(2u, now.SecurityCounter);
        Assert.Equal(V1, now.BootloaderVersion);
        // What its flash holds: the payload from the region's start, nothing outside the application, the journal
        // and the OTP counter floor changed.
        FlashSnapshot after = dut.Snapshot();
        Assert.Equal(image.Payload.ToArray(), after.Region(product.Map.Application)[..image.Payload.Length]);
        Assert.Subset(new HashSet<string>(ConformanceData.Writable(UpdateTarget.Application)), new HashSet<string>(after.DifferingRegions(before)));
        (dut as VirtualDeviceUnderTest)?.AssertNoFlashRuleBroken();
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task The_bootloader_is_updated_through_the_other_copy_and_the_application_then_under_it(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 2);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        FlashSnapshot before = dut.Snapshot();
        FirmwareImage bootloader = Image(product, RegionKind.BootloaderB, V2, size: 24_000, counter: 2);

        UpdateResult result = await host.Updater.UpdateBootloaderAsync(host.Device, bootloader, false, null, guard.Token);

        Assert.Equal(V2, result.VersionAfter);
        Assert.Equal(RegionKind.BootloaderB, result.RunningBootloader);
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.Equal(V2, now.BootloaderVersion);
        Assert.Equal(Csa.Rpc.Device.BootloaderSlot.B, now.ActiveBootloader);
        Assert.Equal(V1, now.ApplicationVersion);
        FlashSnapshot afterBootloader = dut.Snapshot();
        // A bootloader only ever writes the other copy: A is byte-identical, B holds the new image.
        Assert.Equal(before.Region(product.Map.BootloaderA), afterBootloader.Region(product.Map.BootloaderA));
        Assert.Equal(bootloader.Payload.ToArray(), afterBootloader.Region(product.Map.BootloaderB)[..bootloader.Payload.Length]);
        Assert.Subset(new HashSet<string>(ConformanceData.Writable(UpdateTarget.OtherBootloader)), new HashSet<string>(afterBootloader.DifferingRegions(before)));

        // The application, under the new bootloader copy.
        FirmwareImage application = Image(product, RegionKind.Application, V3, size: 30_000, counter: 3);
        UpdateResult app = await host.Updater.UpdateApplicationAsync(now, application, null, guard.Token);
        Assert.Equal(V3, app.VersionAfter);
        Assert.Equal(RegionKind.BootloaderB, app.RunningBootloader);
        DeviceInfo last = await host.ReadAsync(guard.Token);
        Assert.Equal((V3, V2, 3u), (last.ApplicationVersion, last.BootloaderVersion, last.SecurityCounter));
        (dut as VirtualDeviceUnderTest)?.AssertNoFlashRuleBroken();
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task A_device_without_an_application_waits_in_its_bootloader_and_takes_one(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 3);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, withApplication: false));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        Assert.True(host.Device.IsInBootloader);
        Assert.False(host.Device.ApplicationValid);
        BootloaderStatus status = Assert.IsType<BootloaderStatus>(host.Device.Bootloader);
        Assert.Equal(StayReason.NoValidApplication, status.StayReason);

        UpdateResult result = await host.Updater.UpdateApplicationAsync(host.Device, Image(product, RegionKind.Application, V2, counter: 2), null, guard.Token);

        Assert.Null(result.VersionBefore);
        DeviceInfo now = await host.ReadAsync(guard.Token);
        Assert.False(now.IsInBootloader);
        Assert.Equal(V2, now.ApplicationVersion);
    }

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_product_that_requires_binding_installs_an_image_bound_to_its_unique_id(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 4) { RequireBinding = true };
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        Assert.True(host.Device.Rules!.Requirements.HasFlag(Csa.Rpc.Device.ImageRequirements.DeviceBinding));

        UpdateResult result = await host.Updater.UpdateApplicationAsync(host.Device, Image(product, RegionKind.Application, V2, counter: 2, bind: true), null, guard.Token);

        Assert.Equal(V2, result.VersionAfter);
        Assert.Equal(V2, (await host.ReadAsync(guard.Token)).ApplicationVersion);
    }

    /// <summary>
    /// What both implementations report about themselves is the same, field by field (the unique id, the product, the
    /// link limits, the bootloader's features and rules), in the application and in the bootloader.
    /// </summary>
    [Theory]
    [InlineData(FlashFamily.Stm32F4)]
    [InlineData(FlashFamily.Stm32L4)]
    [Trait("Requirement", "REQ-RPC")]
    public async Task Both_implementations_describe_the_same_product_identically(FlashFamily family)
    {
        var product = new ConformanceProduct(family, 5);
        using CancellationTokenSource guard = Guard();
        var seen = new List<(DeviceInfo Application, DeviceInfo Bootloader)>();
        foreach (DeviceImplementation implementation in new[] { DeviceImplementation.CSharp, DeviceImplementation.C })
        {
            await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
            await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
            using (Csa.Rpc.Device.DeviceClient client = host.Network.CreateDeviceClient(host.Device))
                await client.EnterBootloaderAsync(30, guard.Token);
            DeviceInfo inBootloader = await WaitForBootloaderAsync(host, guard.Token);
            seen.Add((host.Device, inBootloader));
        }
        (DeviceInfo csharpApp, DeviceInfo csharpBoot) = seen[0];
        (DeviceInfo cApp, DeviceInfo cBoot) = seen[1];
        foreach ((DeviceInfo a, DeviceInfo b) in new[] { (csharpApp, cApp), (csharpBoot, cBoot) })
        {
            Assert.Equal(a.Uid, b.Uid);
            Assert.Equal((a.VendorId, a.DeviceClassId, a.ProductName, a.McuDeviceId), (b.VendorId, b.DeviceClassId, b.ProductName, b.McuDeviceId));
            Assert.Equal((a.RunningImage, a.ActiveBootloader, a.BootloaderVersion, a.ApplicationVersion, a.ApplicationValid, a.SecurityCounter),
                (b.RunningImage, b.ActiveBootloader, b.BootloaderVersion, b.ApplicationVersion, b.ApplicationValid, b.SecurityCounter));
            Assert.Equal((a.MaxFrameSize, a.ReceiveBuffers, a.MaxPacketSize, a.Features), (b.MaxFrameSize, b.ReceiveBuffers, b.MaxPacketSize, b.Features));
            Assert.Equal(a.Rules, b.Rules);
        }
        Assert.Equal(csharpBoot.Bootloader!.StayReason, cBoot.Bootloader!.StayReason);
        Assert.Equal(csharpBoot.Bootloader.Regions, cBoot.Bootloader.Regions);
    }

    internal static async Task<DeviceInfo> WaitForBootloaderAsync(ConformanceHost host, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                DeviceInfo info = await host.ReadAsync(cancellationToken);
                if (info.IsInBootloader)
                    return info;
            }
            catch (Exception e) when (e is DeviceNotFoundException or Csa.Rpc.RpcTimeoutException or Csa.DataLink.DataLinkException)
            {
            }
            await Task.Delay(20, cancellationToken);
        }
    }
}

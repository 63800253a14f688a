using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Device;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;
using DeviceImageKind = Csa.Rpc.Device.ImageKind;

namespace Csa.Simulator.Tests.Device;

/// <summary>The whole field update of the application, from the host's side, against one virtual device.</summary>
public sealed class FieldUpdateTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task The_host_enters_the_bootloader_installs_a_new_application_and_the_device_restarts_into_it()
    {
        await using VirtualDevice device = CreateDevice(60);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("update");
        device.AttachUpstream(deviceEnd);
        await device.PowerOnAsync();
        await using TestHost host = TestHost.Create();
        host.Add(hostEnd);
        NodeAddress address = Assert.Single(await host.EnumerateAsync()).Address;
        using var deviceClient = new DeviceClient(host.Client, address);
        using var demo = new DemoAppClient(host.Client, address);
        Assert.Equal((byte)5, (await demo.GetApplicationInfoAsync().WaitAsync(HangGuard)).Minor);

        // 1. Leave the application.
        Task inBootloader = StateWatch.NextAsync(device, VirtualDeviceState.Bootloader);
        await deviceClient.EnterBootloaderAsync(0).WaitAsync(HangGuard);
        await inBootloader;

        // 2. Install version 2.6.0.99 through the Bootloader interface, at the same address.
        var newVersion = new FirmwareVersion(2, 6, 0, 99);
        FirmwareImage image = Image(device.Profile.MemoryMap, Csa.Bootloader.Images.ImageKind.Application, newVersion);
        using var bootloader = new BootloaderClient(host.Client, address);
        BeginUpdateResponse begin = await bootloader.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(),
            image.AuthenticationBlock.ToArray(), []).WaitAsync(HangGuard);
        Assert.Equal(0u, begin.ResumeOffset);
        ReadOnlyMemory<byte> payload = image.Payload;
        for (int offset = 0; offset < payload.Length; offset += begin.MaxWriteSize)
        {
            byte[] chunk = payload.Slice(offset, Math.Min(begin.MaxWriteSize, payload.Length - offset)).ToArray();
            await bootloader.WriteAsync((uint)offset, chunk).WaitAsync(HangGuard);
        }
        await bootloader.FinishUpdateAsync().WaitAsync(HangGuard);

        // 3. Restart: the start-up check accepts the new image and the application reports it.
        Task inApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
        await deviceClient.ResetAsync(ResetMode.Normal, 0).WaitAsync(HangGuard);
        await inApplication;
        GetVersionsResponse versions = await deviceClient.GetVersionsAsync().WaitAsync(HangGuard);
        Assert.Equal(DeviceImageKind.Application, versions.RunningImage);
        Assert.Equal(new ImageVersion(2, 6, 0, 99), versions.ApplicationVersion);
        GetApplicationInfoResponse info = await demo.GetApplicationInfoAsync().WaitAsync(HangGuard);
        Assert.Equal((2, 6, 0, 99u), (info.Major, info.Minor, info.Patch, info.Build));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_power_cut_in_the_middle_of_an_update_is_resumed_after_power_on_and_the_new_application_starts()
    {
        await using VirtualDevice device = CreateDevice(61, withApplication: false);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("resume");
        device.AttachUpstream(deviceEnd);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerOnAsync());
        await using TestHost host = TestHost.Create();
        host.Add(hostEnd);
        NodeAddress address = Assert.Single(await host.EnumerateAsync()).Address;

        FirmwareImage image = Image(device.Profile.MemoryMap, Csa.Bootloader.Images.ImageKind.Application, new FirmwareVersion(3, 0, 0, 1));
        ReadOnlyMemory<byte> payload = image.Payload;
        using (var bootloader = new BootloaderClient(host.Client, address))
        {
            BeginUpdateResponse begin = await bootloader.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), []).WaitAsync(HangGuard);
            int chunk = begin.MaxWriteSize;
            await bootloader.WriteAsync(0, payload[..chunk].ToArray()).WaitAsync(HangGuard);

            // The supply fails inside the flash program of the next write: no answer, the device is off.
            Task off = StateWatch.NextAsync(device, VirtualDeviceState.Off);
            device.Flash.ArmPowerCut(PowerCutPlan.BeforeOperation(0));
            var once = new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 };
            await Assert.ThrowsAsync<RpcTimeoutException>(() => bootloader.WriteAsync(new WriteRequest((uint)chunk, payload.Slice(chunk, chunk).ToArray()), once).WaitAsync(HangGuard));
            await off;
        }

        // Power returns: the bootloader stays for the unfinished update; the host enumerates and resumes where it says.
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerOnAsync());
        address = Assert.Single(await host.EnumerateAsync()).Address;
        using (var bootloader = new BootloaderClient(host.Client, address))
        {
            GetStatusResponse status = await bootloader.GetStatusAsync().WaitAsync(HangGuard);
            Assert.Equal(StayReason.UpdateInProgress, status.StayReason);
            BeginUpdateResponse resume = await bootloader.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), []).WaitAsync(HangGuard);
            Assert.True(resume.ResumeOffset < payload.Length);
            for (int offset = (int)resume.ResumeOffset; offset < payload.Length; offset += resume.MaxWriteSize)
                await bootloader.WriteAsync((uint)offset, payload.Slice(offset, Math.Min(resume.MaxWriteSize, payload.Length - offset)).ToArray()).WaitAsync(HangGuard);
            await bootloader.FinishUpdateAsync().WaitAsync(HangGuard);
        }

        using var deviceClient = new DeviceClient(host.Client, address);
        Task inApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
        await deviceClient.ResetAsync(ResetMode.Normal, 0).WaitAsync(HangGuard);
        await inApplication;
        Assert.Equal(new ImageVersion(3, 0, 0, 1), (await deviceClient.GetVersionsAsync().WaitAsync(HangGuard)).ApplicationVersion);
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Device;
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
}

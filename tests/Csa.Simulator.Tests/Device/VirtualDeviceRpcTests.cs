using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Tests.Support;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;

namespace Csa.Simulator.Tests.Device;

/// <summary>A device on an in-memory link answers the generated clients of its interfaces.</summary>
public sealed class VirtualDeviceRpcTests
{
    private static async Task<(VirtualDevice Device, TestHost Host, NodeAddress Address)> StartAsync(bool withApplication = true, int index = 0)
    {
        VirtualDevice device = CreateDevice(index, withApplication);
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("rpc");
        device.AttachUpstream(deviceEnd);
        await device.PowerOnAsync();
        TestHost host = TestHost.Create();
        host.Add(hostEnd);
        IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
        Assert.Single(members);
        return (device, host, members[0].Address);
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_application_answers_GetIdentity_GetVersions_and_GetCapabilities_from_its_profile_and_flash()
    {
        (VirtualDevice device, TestHost host, NodeAddress address) = await StartAsync();
        await using (device)
        await using (host)
        {
            Assert.Equal(VirtualDeviceState.Application, device.State);
            using var client = new DeviceClient(host.Client, address);

            GetIdentityResponse identity = await client.GetIdentityAsync().WaitAsync(HangGuard);
            Assert.Equal(device.Profile.Uid.ToArray(), identity.Uid);
            Assert.Equal(0x00C5A000u, identity.VendorId);
            Assert.Equal(1u, identity.DeviceClass);
            Assert.Equal((ushort)0x413, identity.McuDeviceId);
            Assert.Equal((ushort)3, identity.HardwareRevision);
            Assert.Equal("Virtual pump 0", identity.ProductName);

            GetVersionsResponse versions = await client.GetVersionsAsync().WaitAsync(HangGuard);
            Assert.Equal(ImageKind.Application, versions.RunningImage);
            Assert.Equal(BootloaderSlot.A, versions.ActiveBootloader);
            Assert.Equal(new ImageVersion(1, 2, 0, 7), versions.BootloaderVersion);
            Assert.Equal(new ImageVersion(2, 5, 3, 1234), versions.ApplicationVersion);
            Assert.True(versions.ApplicationValid);
            Assert.Equal(DataLinkProtocol.Version, versions.ProtocolVersion);

            GetCapabilitiesResponse capabilities = await client.GetCapabilitiesAsync().WaitAsync(HangGuard);
            Assert.Equal((ushort)256, capabilities.MaxFrameSize);
            Assert.Equal((byte)4, capabilities.ReceiveBuffers);
            Assert.Equal((ushort)1024, capabilities.MaxPacketSize);
            Assert.Equal(FeatureFlags.Forwarding, capabilities.Features);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task A_device_without_a_valid_application_stays_in_the_bootloader_and_serves_the_Bootloader_interface()
    {
        (VirtualDevice device, TestHost host, NodeAddress address) = await StartAsync(withApplication: false);
        await using (device)
        await using (host)
        {
            Assert.Equal(VirtualDeviceState.Bootloader, device.State);
            using var client = new DeviceClient(host.Client, address);
            GetVersionsResponse versions = await client.GetVersionsAsync().WaitAsync(HangGuard);
            Assert.Equal(ImageKind.Bootloader, versions.RunningImage);
            Assert.False(versions.ApplicationValid);
            Assert.Equal(new ImageVersion(0, 0, 0, 0), versions.ApplicationVersion);

            GetCapabilitiesResponse capabilities = await client.GetCapabilitiesAsync().WaitAsync(HangGuard);
            // A checksum-only profile: no signatures, no encryption, but downgrade protection, the two-copy update,
            // device binding (every bootloader honours it) and multicast (the profile's default).
            Assert.Equal(FeatureFlags.Forwarding | FeatureFlags.BootloaderUpdate | FeatureFlags.DowngradeProtection | FeatureFlags.DeviceBinding
                | FeatureFlags.Multicast, capabilities.Features);

            using var bootloader = new BootloaderClient(host.Client, address);
            GetStatusResponse status = await bootloader.GetStatusAsync().WaitAsync(HangGuard);
            Assert.Equal(RegionKind.BootloaderA, status.RunningCopy);
            Assert.Equal(StayReason.NoValidApplication, status.StayReason);
            Assert.Equal(RegionState.Valid, status.Regions[(int)RegionKind.BootloaderA].State);
            Assert.NotEqual(RegionState.Valid, status.Regions[(int)RegionKind.Application].State);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_bootloader_interface_is_not_served_by_the_application_and_the_demo_interface_not_by_the_bootloader()
    {
        (VirtualDevice app, TestHost appHost, NodeAddress appAddress) = await StartAsync();
        await using (app)
        await using (appHost)
        {
            using var bootloader = new BootloaderClient(appHost.Client, appAddress);
            RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(() => bootloader.GetStatusAsync().WaitAsync(HangGuard));
            Assert.Equal(RpcStatus.UnknownInterface, error.Status);
        }

        (VirtualDevice bl, TestHost blHost, NodeAddress blAddress) = await StartAsync(withApplication: false);
        await using (bl)
        await using (blHost)
        {
            using var demo = new DemoAppClient(blHost.Client, blAddress);
            RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(() => demo.GetReadingAsync(0).WaitAsync(HangGuard));
            Assert.Equal(RpcStatus.UnknownInterface, error.Status);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_demo_application_reads_channels_drives_its_LED_and_reports_the_image_it_runs()
    {
        (VirtualDevice device, TestHost host, NodeAddress address) = await StartAsync();
        await using (device)
        await using (host)
        {
            using var demo = new DemoAppClient(host.Client, address);

            GetReadingResponse reading = await demo.GetReadingAsync(2).WaitAsync(HangGuard);
            Assert.Equal((byte)2, reading.Channel);
            // Channel 2 is 3300 ± 50 milli-units.
            Assert.InRange(reading.Value, 3250, 3350);

            RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(() => demo.GetReadingAsync(4).WaitAsync(HangGuard));
            Assert.True(DemoAppInterface.TryGetError(error, out DemoAppError code));
            Assert.Equal(DemoAppError.NoSuchChannel, code);

            Assert.False((await demo.SetLedAsync(true).WaitAsync(HangGuard)).Previous);
            Assert.True((await demo.SetLedAsync(false).WaitAsync(HangGuard)).Previous);
            Assert.False((await demo.SetLedAsync(true).WaitAsync(HangGuard)).Previous);

            GetApplicationInfoResponse info = await demo.GetApplicationInfoAsync().WaitAsync(HangGuard);
            Assert.Equal((byte)2, info.Major);
            Assert.Equal((byte)5, info.Minor);
            Assert.Equal((ushort)3, info.Patch);
            Assert.Equal(1234u, info.Build);
            Assert.True(info.LedOn);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_LED_is_RAM_state_and_is_off_again_after_a_power_cycle()
    {
        (VirtualDevice device, TestHost host, NodeAddress address) = await StartAsync();
        await using (device)
        await using (host)
        {
            using var demo = new DemoAppClient(host.Client, address);
            await demo.SetLedAsync(true).WaitAsync(HangGuard);

            await device.PowerCycleAsync();
            IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
            using var again = new DemoAppClient(host.Client, members[0].Address);
            Assert.False((await again.GetApplicationInfoAsync().WaitAsync(HangGuard)).LedOn);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task BeginUpdate_with_an_undefined_target_is_answered_BadPayload_by_the_decoder_and_erases_nothing()
    {
        // docs/device-model.md 6.3: the UpdateTarget enum has 1 (Application) and 2 (OtherBootloader); any other value
        // does not decode (rpc-interfaces.md: an undefined enum value is a malformed payload), so the RPC layer answers
        // BadPayload before the bootloader runs.
        (VirtualDevice device, TestHost host, NodeAddress address) = await StartAsync(withApplication: false);
        await using (device)
        await using (host)
        {
            Csa.Bootloader.Images.FirmwareImage image = Image(device.Profile.MemoryMap, Csa.Bootloader.Images.ImageKind.Application, new Csa.Bootloader.Images.FirmwareVersion(3, 0, 0, 0));
            var encoded = new System.Buffers.ArrayBufferWriter<byte>();
            var writer = new RpcWriter(encoded);
            new BeginUpdateRequest(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), []).Write(ref writer);
            byte[] payload = encoded.WrittenSpan.ToArray();
            Assert.Equal((byte)UpdateTarget.Application, payload[0]); // the target is the request's first field
            payload[0] = 7;
            long erasesBefore = device.Flash.Statistics.SectorErases;

            RpcErrorException error = await Assert.ThrowsAsync<RpcErrorException>(() => host.Client.InvokeAsync<RawPayload, BeginUpdateResponse>(
                address, BootloaderInterface.Id, BootloaderInterface.Commands.BeginUpdate, new RawPayload(payload), null, CancellationToken.None).WaitAsync(HangGuard));

            Assert.Equal(RpcStatus.BadPayload, error.Status);
            Assert.Equal(erasesBefore, device.Flash.Statistics.SectorErases);
            using var bootloader = new BootloaderClient(host.Client, address);
            Assert.Equal(UpdatePhase.Idle, (await bootloader.GetStatusAsync().WaitAsync(HangGuard)).Phase);
        }
        Assert.Matches(@"\| undefined target \(an `UpdateTarget` value other than 1, `Application`, and 2, `OtherBootloader`\) \| `BadPayload`", DeviceModelDocument.Value);
    }

    [Fact]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task A_bootloader_that_honours_bindings_advertises_DeviceBinding_even_where_binding_is_not_required()
    {
        // The profile does not require bound images (RequireDeviceBinding is false), yet the bootloader checks a binding
        // an image carries: it refuses one bound to another device and takes one bound to itself. So it advertises it.
        (VirtualDevice device, TestHost host, NodeAddress address) = await StartAsync(withApplication: false);
        await using (device)
        await using (host)
        {
            Assert.False(device.Profile.RequireDeviceBinding);
            using var client = new DeviceClient(host.Client, address);
            Assert.True((await client.GetCapabilitiesAsync().WaitAsync(HangGuard)).Features.HasFlag(FeatureFlags.DeviceBinding));

            using var bootloader = new BootloaderClient(host.Client, address);
            RpcErrorException refused = await Assert.ThrowsAsync<RpcErrorException>(() => BeginBoundAsync(bootloader, device, Csa.Bootloader.Images.DeviceUid.FromWords(1, 2, 3)));
            Assert.True(BootloaderInterface.TryGetError(refused, out BootloaderError error));
            Assert.Equal(BootloaderError.NotBoundToThisDevice, error);
            Assert.Equal(0u, (await BeginBoundAsync(bootloader, device, device.Profile.Uid)).ResumeOffset);
        }

        // The application installs nothing, so it advertises none of the update features.
        (VirtualDevice app, TestHost appHost, NodeAddress appAddress) = await StartAsync();
        await using (app)
        await using (appHost)
        {
            using var client = new DeviceClient(appHost.Client, appAddress);
            Assert.False((await client.GetCapabilitiesAsync().WaitAsync(HangGuard)).Features.HasFlag(FeatureFlags.DeviceBinding));
        }
    }

    private static async Task<BeginUpdateResponse> BeginBoundAsync(BootloaderClient bootloader, VirtualDevice device, Csa.Bootloader.Images.DeviceUid boundTo)
    {
        Csa.Simulator.Memory.MemoryMap map = device.Profile.MemoryMap;
        var settings = new Csa.Bootloader.Images.ImageSettings
        {
            Kind = Csa.Bootloader.Images.ImageKind.Application, VendorId = device.Profile.VendorId, DeviceClassId = device.Profile.DeviceClassId,
            Version = new Csa.Bootloader.Images.FirmwareVersion(3, 0, 0, 0), SecurityCounter = 1, LoadAddress = map.Application.Address,
        };
        settings.BoundDevices.Add(boundTo);
        Csa.Bootloader.Images.FirmwareImage image = await new Csa.Bootloader.Images.ImageBuilder(settings)
            .BuildAsync(Csa.Bootloader.Images.FirmwareSource.FromBinary(new byte[4096], map.Application.Address), Csa.Bootloader.Images.Crc32ImageAuthenticator.Instance);
        return await bootloader.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), []).WaitAsync(HangGuard);
    }

    /// <summary>A request payload sent as it is, to put values on the wire that the generated writers refuse.</summary>
    private sealed record RawPayload(byte[] Bytes) : IRpcMessage<RawPayload>
    {
        public void Write(ref RpcWriter writer) => writer.WriteFixedBytes(Bytes, Bytes.Length, "raw");

        public static RawPayload Read(ref RpcReader reader) => throw new NotSupportedException("only sent");
    }
}

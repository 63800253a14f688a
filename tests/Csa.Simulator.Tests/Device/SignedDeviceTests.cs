using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;
using ImageKind = Csa.Bootloader.Images.ImageKind;

namespace Csa.Simulator.Tests.Device;

/// <summary>A device whose bootloader authenticates images with ECDSA P-256.</summary>
public sealed class SignedDeviceTests
{
    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task A_signature_checking_device_boots_signed_firmware_and_advertises_the_feature_but_not_an_unsigned_application()
    {
        var signer = new EcdsaP256Signer(KeyGenerator.Generate(KeyRole.FirmwareSigning));
        var profile = new DeviceProfile
        {
            MemoryMap = MemoryMap.Stm32F4_1M,
            Uid = DeviceUid.FromWords(0x11, 0x22, 0x33),
            TrustedSigningKeys = [signer.PublicKey],
            FlashTiming = FlashTimingProfile.Instant,
        };
        await using var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false });
        MemoryMap map = profile.MemoryMap;
        FactoryProgrammer.Program(profile, device.Flash, await BuildAsync(map.BootloaderA.Address, ImageKind.Bootloader, signer));
        // An application checksummed instead of signed: the bootloader must not start it.
        FactoryProgrammer.Install(profile, device.Flash, RegionKind.Application, Image(map, ImageKind.Application, ApplicationVersion));

        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("signed");
        device.AttachUpstream(deviceEnd);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerOnAsync());
        await using TestHost host = TestHost.Create();
        host.Add(hostEnd);
        using var client = new DeviceClient(host.Client, Assert.Single(await host.EnumerateAsync()).Address);
        GetCapabilitiesResponse capabilities = await client.GetCapabilitiesAsync().WaitAsync(HangGuard);
        Assert.True(capabilities.Features.HasFlag(FeatureFlags.Signatures));
        Assert.False(capabilities.Features.HasFlag(FeatureFlags.Encryption));
        Assert.False((await client.GetVersionsAsync().WaitAsync(HangGuard)).ApplicationValid);

        // Signed by the trusted key, the same application starts.
        FactoryProgrammer.Install(profile, device.Flash, RegionKind.Application, await BuildAsync(map.Application.Address, ImageKind.Application, signer));
        Assert.Equal(VirtualDeviceState.Application, await device.ResetAsync());
        Assert.True((await client.GetVersionsAsync().WaitAsync(HangGuard)).ApplicationValid);
    }

    private static Task<FirmwareImage> BuildAsync(uint address, ImageKind kind, EcdsaP256Signer signer)
    {
        var settings = new ImageSettings { Kind = kind, VendorId = 0x00C5A000, DeviceClassId = 1, Version = new FirmwareVersion(1, 0, 0, 1), SecurityCounter = 1, LoadAddress = address };
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(new byte[2048], address), signer);
    }
}

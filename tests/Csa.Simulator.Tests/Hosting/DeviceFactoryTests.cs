using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Tests.Hosting;

/// <summary>
/// The public factory-fresh device builder: the devices it makes boot what it wrote and accept what it signs; its images
/// are the same bytes whenever asked; bad requests are refused by name.
/// </summary>
public sealed class DeviceFactoryTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static DeviceProfile Profile(DeviceFactory factory, int index, FlashFamily family = FlashFamily.Stm32F4, bool locked = false) => new()
    {
        MemoryMap = family == FlashFamily.Stm32F4 ? MemoryMap.Stm32F4_1M : MemoryMap.Stm32L4_1M,
        Uid = DeviceUid.FromWords(0x0077_0001u + (uint)index, 0x4641_4354u, 0x4F52_5900u),
        TrustedSigningKeys = [factory.PublicKey],
        IdentityKey = locked ? KeyGenerator.Generate(KeyRole.DeviceIdentity) : null,
        RequireDeviceBinding = locked,
        RequireEncryption = locked,
        FlashTiming = FlashTimingProfile.Instant,
    };

    [Theory]
    [InlineData(FlashFamily.Stm32F4, false)]
    [InlineData(FlashFamily.Stm32L4, true)]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task A_factory_fresh_device_boots_its_application_and_holds_exactly_the_factory_payloads(FlashFamily family, bool locked)
    {
        var factory = new DeviceFactory();
        DeviceProfile profile = Profile(factory, 0, family, locked);
        using var guard = new CancellationTokenSource(HangGuard);

        await using VirtualDevice device = await factory.CreateDeviceAsync(profile, cancellationToken: guard.Token);

        Assert.Equal(0, device.Flash.Statistics.OperationCount); // counted from the factory state on
        Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync(guard.Token));
        FactoryFirmware firmware = factory.Options.Firmware;
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(firmware.BootloaderVersion, inventory[RegionKind.BootloaderA].Version);
        Assert.Equal(RegionState.Valid, inventory[RegionKind.BootloaderA].State);
        Assert.Equal(firmware.ApplicationVersion, inventory[RegionKind.Application].Version);
        Assert.NotEqual(RegionState.Valid, inventory[RegionKind.BootloaderB].State); // copy B waits for the first bootloader update
        Assert.Equal(DeviceFactory.Payload(RegionKind.Application, firmware.ApplicationVersion, firmware.ApplicationSize!.Value),
            device.Flash.ReadRaw(profile.MemoryMap.Application.Address, firmware.ApplicationSize.Value));
        Assert.Equal(DeviceFactory.Payload(RegionKind.BootloaderA, firmware.BootloaderVersion, firmware.BootloaderSize),
            device.Flash.ReadRaw(profile.MemoryMap.BootloaderA.Address, firmware.BootloaderSize));
        // A locked product's factory application is bound to it and was encrypted for it (the device decrypted it).
        FirmwareImage application = await factory.BuildImageAsync(profile, RegionKind.Application, firmware.ApplicationVersion,
            new FactoryImageOptions { Size = firmware.ApplicationSize.Value, BindToDevice = locked, Encrypt = locked }, guard.Token);
        Assert.Equal(locked ? ImageEncryption.Aes256CtrEciesP256 : ImageEncryption.None, application.Manifest.Encryption);
        Assert.Equal(locked ? [profile.Uid] : [], application.Manifest.BoundDevices);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    public async Task Its_images_install_through_the_updater_and_another_factorys_are_refused()
    {
        var factory = new DeviceFactory();
        DeviceProfile[] profiles = [Profile(factory, 1), Profile(factory, 2)];
        using var guard = new CancellationTokenSource(HangGuard);
        // An asynchronous device factory, straight into the topology (issue 20: async builders have async factories).
        await using VirtualDeviceHost chain = await VirtualDeviceHost.CreateChainAsync(2, (i, ct) => factory.CreateDeviceAsync(profiles[i], cancellationToken: ct),
            cancellationToken: guard.Token);
        await using DeviceNetwork network = await DeviceNetwork.ConnectTransportsAsync(chain.HostPorts, cancellationToken: guard.Token);
        IReadOnlyList<DeviceInfo> devices = await network.DiscoverAsync(guard.Token);
        var updater = new FirmwareUpdater(network, new UpdateOptions { RestartPollInterval = TimeSpan.FromMilliseconds(20) });
        var version = new FirmwareVersion(2, 0, 0, 0);

        UpdateResult updated = await updater.UpdateApplicationAsync(devices[0],
            await factory.BuildImageAsync(profiles[0], RegionKind.Application, version, new FactoryImageOptions { SecurityCounter = 2 }, guard.Token), null, guard.Token);
        FirmwareImage foreign = await new DeviceFactory().BuildImageAsync(profiles[1], RegionKind.Application, version, cancellationToken: guard.Token);
        var refused = await Assert.ThrowsAsync<UpdateRejectedException>(() => updater.UpdateApplicationAsync(devices[1], foreign, null, guard.Token));

        Assert.Equal(version, updated.VersionAfter);
        // Signed with a key the device does not trust: refused by the device or by the host's pre-check with its rules.
        Assert.True(refused.DeviceError is BootloaderError.UnknownKey || refused.RejectedLocally, refused.Message);
        Assert.Equal(new FactoryFirmware().ApplicationVersion, chain.Devices[1].Firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task The_same_request_gives_the_same_bytes_and_a_variant_or_another_version_other_bytes()
    {
        var factory = new DeviceFactory();
        DeviceProfile profile = Profile(factory, 3);
        var options = new FactoryImageOptions { Size = 5000 };
        var version = new FirmwareVersion(3, 1, 0, 7);

        FirmwareImage first = await factory.BuildImageAsync(profile, RegionKind.Application, version, options);
        FirmwareImage again = await factory.BuildImageAsync(profile, RegionKind.Application, version, options);
        FirmwareImage variant = await factory.BuildImageAsync(profile, RegionKind.Application, version, options with { Variant = "b" });
        FirmwareImage other = await factory.BuildImageAsync(profile, RegionKind.Application, new FirmwareVersion(3, 1, 0, 8), options);

        Assert.Equal(first.ToArray(), again.ToArray());
        Assert.Equal(DeviceFactory.Payload(RegionKind.Application, version, 5000), first.Payload.ToArray());
        Assert.StartsWith("Csa virtual Application 3.1.0", System.Text.Encoding.ASCII.GetString(first.Payload.Span[..32]));
        Assert.NotEqual(first.Payload.ToArray(), variant.Payload.ToArray());
        Assert.NotEqual(first.Payload.ToArray(), other.Payload.ToArray());
        Assert.Equal(profile.MemoryMap.Application.Address, first.Manifest.LoadAddress);
        Assert.Equal(ImageAuthentication.EcdsaP256Sha256, first.Manifest.Authentication);
        // A checksum-only product gets CRC-32 images from the same factory.
        DeviceProfile crc = new() { MemoryMap = MemoryMap.Stm32F4_1M, Uid = profile.Uid, Authentication = ImageAuthentication.Crc32 };
        Assert.Equal(ImageAuthentication.Crc32, (await factory.BuildImageAsync(crc, RegionKind.BootloaderB, version)).Manifest.Authentication);
    }

    [Fact]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    public async Task A_device_without_an_application_waits_in_its_bootloader_and_a_device_with_a_flash_file_keeps_its_flash()
    {
        var factory = new DeviceFactory();
        DeviceProfile profile = Profile(factory, 4);
        string file = Path.Combine(Path.GetTempPath(), $"csa-factory-{Guid.NewGuid():N}.flash");
        try
        {
            await using (VirtualDevice blank = await factory.CreateDeviceAsync(profile, new VirtualDeviceOptions { FlashFilePath = file, HeartbeatInterval = null },
                factory.Options.Firmware.WithoutApplication()))
            {
                Assert.Equal(VirtualDeviceState.Bootloader, await blank.PowerOnAsync());
            }
            // The flash file now holds a programmed device: the factory leaves it as it is (no application appears).
            await using VirtualDevice kept = await factory.CreateDeviceAsync(profile, new VirtualDeviceOptions { FlashFilePath = file, HeartbeatInterval = null });
            Assert.Equal(VirtualDeviceState.Bootloader, await kept.PowerOnAsync());
            Assert.NotEqual(RegionState.Valid, kept.Firmware.Inventory[RegionKind.Application].State);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    public async Task Requests_it_cannot_make_are_refused_by_name()
    {
        var factory = new DeviceFactory();
        DeviceProfile profile = Profile(factory, 5); // no identity key
        var version = new FirmwareVersion(1, 0, 0, 0);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => factory.BuildImageAsync(profile, RegionKind.PreBootloader, version));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => factory.BuildImageAsync(profile, RegionKind.Application, version, new FactoryImageOptions { Size = 0 }));
        var noKey = await Assert.ThrowsAsync<ArgumentException>(() => factory.BuildImageAsync(profile, RegionKind.Application, version, new FactoryImageOptions { Encrypt = true }));
        Assert.Contains("identity key", noKey.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => factory.BuildImageAsync(profile, RegionKind.Application, version, new FactoryImageOptions { Recipients = [] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DeviceFactory(new DeviceFactoryOptions { Firmware = new FactoryFirmware { BootloaderSize = 0 } }));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_star_from_profiles_needs_no_explicit_nulls()
    {
        var factory = new DeviceFactory();
        await using VirtualDeviceHost star = await VirtualDeviceHost.CreateStarAsync(2, i => Profile(factory, 6 + i), powerOn: false);

        // No provisioning given: blank devices, as the overload documents.
        Assert.Equal(2, star.HostPorts.Count);
        Assert.All(star.Devices, d => Assert.True(d.Flash.IsBlank(d.Profile.MemoryMap.PreBootloader)));
    }
}

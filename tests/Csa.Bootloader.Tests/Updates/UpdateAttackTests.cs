using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// The attacks docs/requirements.md lists that no other test covered: RFC 9124's wrong precursor, and TUF / Uptane's
/// freeze, mix-and-match, endless-data and arbitrary-software attacks, each against the virtual device through the
/// host SDK (with its local pre-check on, and off so the device itself must refuse), with the flash compared byte for
/// byte after a refused attack. Where an attack does not apply to this push model, the test shows the boundary that
/// docs/security.md 6 gives as the reason.
/// </summary>
public sealed class UpdateAttackTests
{
    private static UpdateOptions Options(bool localPreCheck)
    {
        UpdateOptions options = Rig.FastOptions();
        options = options with
        {
            LocalPreCheck = localPreCheck,
            TrustedVerifiers = [.. options.TrustedVerifiers, new EcdsaP256Verifier(DeviceKit.SigningKey.PublicKey)],
            MaxResumeAttempts = 0,
        };
        return options;
    }

    private static byte[] WholeFlash(VirtualDevice device) => device.Flash.ReadRaw(device.Flash.Geometry.BaseAddress, device.Flash.Geometry.Size);

    private static byte[] Region(VirtualDevice device, RegionKind kind)
    {
        FirmwareRegion region = device.Firmware.Inventory[kind];
        return device.Flash.ReadRaw(region.Start, (int)region.Size);
    }

    /// <summary>The parts of two images put together: a manifest and authentication block of one, a payload or key block of another.</summary>
    private static FirmwareImage Mix(FirmwareImage manifestAndSignature, FirmwareImage payloadFrom, FirmwareImage? keyBlockFrom = null)
    {
        byte[] keyBlock = (keyBlockFrom ?? manifestAndSignature).ToArray()[(manifestAndSignature.ManifestBytes.Length + manifestAndSignature.Payload.Length + manifestAndSignature.AuthenticationBlock.Length)..];
        return ImageReader.Parse([.. manifestAndSignature.ManifestBytes.Span, .. payloadFrom.Payload.Span, .. manifestAndSignature.AuthenticationBlock.Span, .. keyBlock]);
    }

    // ---- THREAT.UPD.WRONG_PRECURSOR ------------------------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.UPD.WRONG_PRECURSOR")]
    public async Task Wrong_precursor_does_not_apply_a_full_image_leaves_the_same_application_whatever_the_device_held_before()
    {
        // Three precursors: the factory application, another build of it (other bytes, other size), and none at all.
        // A differential update would depend on them; a Csa image does not: the region ends up byte for byte the same.
        DeviceProfile profile = DeviceKit.Profile(40);
        VirtualDevice Factory(int index) => index switch
        {
            0 => DeviceKit.Device(profile),
            1 => DeviceWithApplication(profile, DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V1, size: 31_000)),
            _ => DeviceKit.Device(profile, withApplication: false),
        };
        FirmwareImage release = DeviceKit.App(profile, DeviceKit.V2, size: 26_000, counter: 2);
        var regions = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            await using Rig rig = await Rig.StarAsync(1, _ => Factory(i), Options(localPreCheck: true));
            using CancellationTokenSource guard = Rig.Guard();
            UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], release, null, guard.Token);
            Assert.Equal(DeviceKit.V2, result.VersionAfter);
            regions.Add(Region(rig.Virtual[0], RegionKind.Application));
        }
        Assert.Equal(release.Payload.ToArray(), regions[0][..release.Payload.Length]);
        Assert.Equal(regions[0], regions[1]);
        Assert.Equal(regions[0], regions[2]);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.UPD.WRONG_PRECURSOR")]
    public async Task Wrong_precursor_the_boundary_an_image_kind_other_than_a_full_application_or_bootloader_is_refused_before_any_erase()
    {
        // The format has exactly two kinds, both full images (docs/image-format.md 3): a manifest naming any other kind
        // (what a delta format would need) is refused by the device before its signature is even looked at.
        DeviceProfile profile = DeviceKit.Profile(41);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Options(localPreCheck: false));
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage genuine = DeviceKit.App(profile, DeviceKit.V2, counter: 2);
        byte[] manifest = genuine.ManifestBytes.ToArray();
        manifest[8] = 0x03; // image kind: neither 0x01 application nor 0x02 bootloader
        using CancellationTokenSource guard = Rig.Guard();
        DeviceInfo inBootloader = await EnterBootloaderAsync(rig, guard.Token);
        byte[] before = WholeFlash(device);
        long erases = device.Flash.Statistics.SectorErases;

        using var client = new BootloaderClient(rig.Network.Client, inBootloader.Address);
        var error = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(() =>
            client.BeginUpdateAsync(UpdateTarget.Application, manifest, genuine.AuthenticationBlock.ToArray(), [], guard.Token));

        Assert.True(BootloaderInterface.TryGetError(error, out BootloaderError code));
        Assert.Equal(BootloaderError.BadManifest, code);
        Assert.Equal(erases, device.Flash.Statistics.SectorErases);
        Assert.Equal(before, WholeFlash(device));
        Assert.Throws<ImageFormatException>(() => ImageReader.Parse([.. manifest, .. genuine.Payload.Span, .. genuine.AuthenticationBlock.Span]));
    }

    // ---- TUF freeze ------------------------------------------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "TUF.FREEZE")]
    public async Task Freeze_a_pushed_fleet_shows_its_stale_devices_and_an_old_release_cannot_be_pushed_back_over_a_newer_counter()
    {
        // TUF's freeze attack keeps a client on stale metadata so it never learns of an update. A Csa device learns of
        // nothing by itself: the host pushes. What the device does guarantee: (1) the host sees each device's installed
        // version and security counter, so a device kept back is visible; (2) an attacker who holds the link cannot
        // "freeze" a device at an old, vulnerable release by pushing it again once a newer counter is installed.
        DeviceProfile updated = DeviceKit.Profile(42);
        DeviceProfile keptBack = DeviceKit.Profile(43);
        await using Rig rig = await Rig.StarAsync(2, i => DeviceKit.Device(i == 0 ? updated : keptBack), Options(localPreCheck: false));
        using CancellationTokenSource guard = Rig.Guard();
        DeviceInfo first = rig.Devices.Single(d => d.Uid == updated.Uid);
        await rig.Updater.UpdateApplicationAsync(first, DeviceKit.App(updated, DeviceKit.V2, counter: 2), null, guard.Token);

        IReadOnlyList<DeviceInfo> fleet = await rig.Network.DiscoverAsync(guard.Token);
        DeviceInfo now = fleet.Single(d => d.Uid == updated.Uid);
        DeviceInfo stale = fleet.Single(d => d.Uid == keptBack.Uid);
        Assert.Equal((DeviceKit.V2, 2u), (now.ApplicationVersion, now.SecurityCounter));
        Assert.Equal((DeviceKit.V1, 1u), (stale.ApplicationVersion, stale.SecurityCounter));

        VirtualDevice device = rig.Virtual.Single(v => v.Profile.Uid == updated.Uid);
        byte[] before = Region(device, RegionKind.Application);
        long erases = device.Flash.Statistics.SectorErases;
        var e = await Assert.ThrowsAsync<UpdateRejectedException>(() =>
            rig.Updater.UpdateApplicationAsync(now, DeviceKit.App(updated, DeviceKit.V1, counter: 1), null, guard.Token));
        Assert.Equal(BootloaderError.SecurityCounterTooLow, e.DeviceError);
        Assert.Equal(erases, device.Flash.Statistics.SectorErases);
        Assert.Equal(before, Region(device, RegionKind.Application));
        Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(RegionState.Valid, device.Firmware.Inventory[RegionKind.Application].State);
    }

    // ---- TUF mix-and-match -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "TUF.MIX_AND_MATCH")]
    public async Task Mix_and_match_the_manifest_of_one_release_with_the_payload_of_another_is_never_marked_valid_nor_run(bool localPreCheck)
    {
        DeviceProfile profile = DeviceKit.Profile(44);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Options(localPreCheck));
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage releaseA = DeviceKit.App(profile, DeviceKit.V2, size: 24_000, counter: 2);
        FirmwareImage releaseB = DeviceKit.App(profile, DeviceKit.V3, size: 24_000, counter: 2);
        FirmwareImage mixed = Mix(releaseA, payloadFrom: releaseB);
        byte[] application = Region(device, RegionKind.Application);
        using CancellationTokenSource guard = Rig.Guard();

        var e = await Assert.ThrowsAsync<UpdateRejectedException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], mixed, null, guard.Token));

        if (localPreCheck)
        {
            // The host's pre-check hashes the payload against the signed manifest: nothing is sent.
            Assert.Equal(ImageRejection.PayloadHashMismatch, e.LocalRejection);
            Assert.Equal(application, Region(device, RegionKind.Application));
            Assert.Equal(DeviceKit.V1, device.Firmware.Inventory[RegionKind.Application].Version);
            return;
        }
        // The device accepted the genuine manifest, wrote, and found the payload is not the one it signs: the region is
        // never marked valid, the mixed image never runs (not even after a power cycle), and the genuine release installs.
        Assert.Equal(BootloaderError.PayloadHashMismatch, e.DeviceError);
        Assert.NotEqual(RegionState.Valid, device.Firmware.Inventory[RegionKind.Application].State);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerCycleAsync(guard.Token));
        IReadOnlyList<DeviceInfo> again = await rig.Network.DiscoverAsync(guard.Token);
        UpdateResult result = await rig.Updater.UpdateApplicationAsync(again[0], releaseA, null, guard.Token);
        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(releaseA.Payload.ToArray(), Region(device, RegionKind.Application)[..releaseA.Payload.Length]);
    }

    [Fact]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "TUF.MIX_AND_MATCH")]
    public async Task Mix_and_match_a_wrapped_key_from_another_release_is_refused_before_any_erase_the_flash_byte_identical()
    {
        DeviceProfile profile = DeviceKit.Profile(45);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Options(localPreCheck: true));
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage releaseA = DeviceKit.App(profile, DeviceKit.V2, counter: 2, encrypt: true);
        FirmwareImage releaseB = DeviceKit.App(profile, DeviceKit.V3, counter: 2, encrypt: true);
        FirmwareImage mixed = Mix(releaseA, payloadFrom: releaseA, keyBlockFrom: releaseB);
        Assert.Equal(releaseB.FindWrappedKey(profile.Uid)!.WrappedKey.ToArray(), mixed.FindWrappedKey(profile.Uid)!.WrappedKey.ToArray());
        using CancellationTokenSource guard = Rig.Guard();
        // The host holds no device key, so the pre-check passes this image on: the device must refuse it.
        DeviceInfo inBootloader = await EnterBootloaderAsync(rig, guard.Token);
        byte[] before = WholeFlash(device);
        long erases = device.Flash.Statistics.SectorErases;

        var e = await Assert.ThrowsAsync<UpdateRejectedException>(() => rig.Updater.UpdateApplicationAsync(inBootloader, mixed, null, guard.Token));

        Assert.Equal(BootloaderError.KeyUnwrapFailed, e.DeviceError);
        Assert.Equal(erases, device.Flash.Statistics.SectorErases);
        Assert.Equal(before, WholeFlash(device));
    }

    // ---- TUF endless data ------------------------------------------------------------------------------------------------

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "TUF.ENDLESS_DATA")]
    [Trait("Threat", "THREAT.IMG.EXTRA")]
    public async Task Endless_data_the_device_takes_not_one_byte_beyond_the_signed_payload_size()
    {
        DeviceProfile profile = DeviceKit.Profile(46);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Options(localPreCheck: false));
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage release = DeviceKit.App(profile, DeviceKit.V2, size: 20_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();
        DeviceInfo inBootloader = await EnterBootloaderAsync(rig, guard.Token);
        using var client = new BootloaderClient(rig.Network.Client, inBootloader.Address);
        BeginUpdateResponse begin = await client.BeginUpdateAsync(UpdateTarget.Application, release.ManifestBytes.ToArray(), release.AuthenticationBlock.ToArray(), [], guard.Token);
        int size = release.Payload.Length;
        int step = begin.MaxWriteSize;
        for (int offset = 0; offset < size; offset += step)
            await client.WriteAsync((uint)offset, release.Payload.Slice(offset, Math.Min(step, size - offset)).ToArray(), guard.Token);
        long programs = device.Flash.Statistics.ProgramOperations;
        long erases = device.Flash.Statistics.SectorErases;
        byte[] before = WholeFlash(device);

        // More data after the end, data that crosses the end, and (when the wire format can carry one: Write's data field
        // holds at most 4096 bytes) a write larger than the device takes: all refused.
        int aligned = size + (begin.WriteAlignment - (size % begin.WriteAlignment)) % begin.WriteAlignment;
        var attempts = new List<(uint Offset, int Length)> { ((uint)aligned, 16), ((uint)(aligned - begin.WriteAlignment), 2 * begin.WriteAlignment) };
        if (begin.MaxWriteSize + begin.WriteAlignment <= 4096)
            attempts.Add((0u, begin.MaxWriteSize + begin.WriteAlignment));
        foreach ((uint offset, int length) in attempts)
        {
            var e = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(() => client.WriteAsync(offset, new byte[length], guard.Token));
            Assert.True(BootloaderInterface.TryGetError(e, out BootloaderError code), e.Message);
            Assert.Equal(BootloaderError.OutOfRange, code);
        }
        Assert.Equal(programs, device.Flash.Statistics.ProgramOperations);
        Assert.Equal(erases, device.Flash.Statistics.SectorErases);
        Assert.Equal(before, WholeFlash(device));

        await client.FinishUpdateAsync(guard.Token);
        Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
    }

    [Fact]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "TUF.ENDLESS_DATA")]
    public async Task Endless_data_an_image_file_that_never_ends_is_refused_after_the_largest_image_the_format_allows()
    {
        // A hostile "image" the host is told to read: a file far larger than any image, and (on Linux) a device that
        // never ends. The reader stops one byte past ImageFormat.MaxImageSize and refuses, instead of reading on.
        string big = Path.Combine(Path.GetTempPath(), $"csa-endless-{Guid.NewGuid():N}.csai");
        try
        {
            using (FileStream f = File.Create(big))
                f.SetLength(ImageFormat.MaxImageSize + (16L * 1024 * 1024));
            var e = Assert.Throws<ImageFormatException>(() => ImageReader.ReadFile(big));
            Assert.Equal(ImageError.TrailingData, e.Error);
            Assert.Equal(ImageFormat.MaxImageSize, e.Offset);
            var a = await Assert.ThrowsAsync<ImageFormatException>(() => ImageReader.ReadFileAsync(big));
            Assert.Equal(ImageError.TrailingData, a.Error);
        }
        finally
        {
            File.Delete(big);
        }
        if (!OperatingSystem.IsLinux())
            return;
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var endless = Assert.Throws<ImageFormatException>(() => ImageReader.ReadFile("/dev/zero"));
        Assert.Equal(ImageError.TrailingData, endless.Error);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 2L * ImageFormat.MaxImageSize);
    }

    // ---- TUF arbitrary software --------------------------------------------------------------------------------------------

    /// <summary>An attacker's signer that claims the trusted key's id.</summary>
    private sealed class ForgedKeyIdSigner(EcP256PrivateKey attacker, ReadOnlyMemory<byte> claimedKeyId) : IImageSigner
    {
        public ImageAuthentication Algorithm => ImageAuthentication.EcdsaP256Sha256;

        public ReadOnlyMemory<byte> KeyId => claimedKeyId;

        public Task<byte[]> SignAsync(ReadOnlyMemory<byte> manifest, CancellationToken cancellationToken = default) =>
            Task.FromResult(new EcdsaP256Signer(attacker).Sign(manifest.Span));
    }

    public static TheoryData<string, bool> ArbitrarySoftware()
    {
        var data = new TheoryData<string, bool>();
        foreach (string attack in new[] { "attacker-key", "attacker-key-claiming-the-trusted-id", "crc-only" })
        {
            data.Add(attack, true);
            data.Add(attack, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ArbitrarySoftware))]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "TUF.ARBITRARY_SOFTWARE")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task Arbitrary_software_software_of_the_attackers_choosing_is_refused_before_any_erase_the_flash_byte_identical(string attack, bool localPreCheck)
    {
        DeviceProfile profile = DeviceKit.Profile(47);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Options(localPreCheck));
        VirtualDevice device = rig.Virtual[0];
        IImageSigner signer = attack switch
        {
            "attacker-key" => new EcdsaP256Signer(DeviceKit.UntrustedSigningKey),
            "attacker-key-claiming-the-trusted-id" => new ForgedKeyIdSigner(DeviceKit.UntrustedSigningKey, DeviceKit.SigningKey.PublicKey.KeyId),
            _ => Crc32ImageAuthenticator.Instance,
        };
        // The attacker's build: a higher counter and version, the right vendor, class and address: only the key is wrong.
        FirmwareImage malware = DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V3, counter: 9, signer: signer);
        byte[] before = WholeFlash(device);
        long erases = device.Flash.Statistics.SectorErases;
        using CancellationTokenSource guard = Rig.Guard();

        var e = await Assert.ThrowsAsync<UpdateRejectedException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], malware, null, guard.Token));

        if (localPreCheck)
            Assert.Contains(e.LocalRejection, new ImageRejection?[] { ImageRejection.UnknownKey, ImageRejection.BadSignature, ImageRejection.UnsupportedAuthentication });
        else
            Assert.Equal(attack == "attacker-key" ? BootloaderError.UnknownKey : BootloaderError.BadSignature, e.DeviceError);
        Assert.Equal(erases, device.Flash.Statistics.SectorErases);
        // Entering the bootloader writes the request to stay (the journal); the images are untouched.
        foreach (RegionKind kind in new[] { RegionKind.BootloaderA, RegionKind.BootloaderB, RegionKind.Application })
        {
            FirmwareRegion region = device.Firmware.Inventory[kind];
            Assert.Equal(before.AsSpan((int)(region.Start - device.Flash.Geometry.BaseAddress), (int)region.Size).ToArray(), Region(device, kind));
        }
        await device.PowerCycleAsync(guard.Token);
        Assert.Equal(DeviceKit.V1, device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(RegionState.Valid, device.Firmware.Inventory[RegionKind.Application].State);
        Assert.Equal(1u, device.Firmware.Inventory.DeviceSecurityCounter); // the attacker's counter 9 raised nothing
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------------

    private static VirtualDevice DeviceWithApplication(DeviceProfile profile, FirmwareImage application)
    {
        var device = new VirtualDevice(profile, new VirtualDeviceOptions { HeartbeatInterval = null, PublishTelemetry = false, Name = $"dev-{profile.ProductName}" });
        FactoryProgrammer.Program(profile, device.Flash, DeviceKit.Image(profile, RegionKind.BootloaderA, DeviceKit.V1, size: 12_000), application: application);
        return device;
    }

    /// <summary>Asks the running application into the bootloader and finds the device there again (as an update does first).</summary>
    private static async Task<DeviceInfo> EnterBootloaderAsync(Rig rig, CancellationToken cancellationToken)
    {
        DeviceInfo device = rig.Devices[0];
        using (var app = new Csa.Rpc.Device.DeviceClient(rig.Network.Client, device.Address))
            await app.EnterBootloaderAsync(new Csa.Rpc.Device.EnterBootloaderRequest(60), cancellationToken: cancellationToken);
        for (int attempt = 0; attempt < 200; attempt++)
        {
            IReadOnlyList<DeviceInfo> found = await rig.Network.DiscoverAsync(cancellationToken);
            DeviceInfo? again = found.FirstOrDefault(d => d.Uid == device.Uid && d.IsInBootloader);
            if (again is not null)
                return again;
            await Task.Delay(25, cancellationToken);
        }
        throw new Xunit.Sdk.XunitException("the device did not come back in its bootloader");
    }
}

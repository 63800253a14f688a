using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Every security property refuses a bad image with a typed error, from the host's pre-check before anything is sent
/// and, with the pre-check off, from the device itself before it erases anything: the installed firmware is untouched.
/// </summary>
public sealed class RejectionTests
{
    public sealed record Case(string Name, ImageRejection? Local, BootloaderError Device, uint DeviceCounter = 1);

    private static readonly Dictionary<string, Case> s_cases = new[]
    {
        new Case("crc-on-signature-device", ImageRejection.UnsupportedAuthentication, BootloaderError.BadSignature),
        new Case("untrusted-signing-key", ImageRejection.UnknownKey, BootloaderError.UnknownKey),
        new Case("tampered-manifest", ImageRejection.BadSignature, BootloaderError.BadSignature),
        new Case("bound-to-another-device", ImageRejection.NotBoundToThisDevice, BootloaderError.NotBoundToThisDevice),
        new Case("downgrade", ImageRejection.SecurityCounterTooLow, BootloaderError.SecurityCounterTooLow, DeviceCounter: 5),
        new Case("wrong-device-class", ImageRejection.WrongDeviceClass, BootloaderError.WrongTarget),
        new Case("wrong-vendor", ImageRejection.WrongVendor, BootloaderError.WrongTarget),
        new Case("wrong-load-address", ImageRejection.WrongLoadAddress, BootloaderError.WrongLocation),
        new Case("too-large-for-region", ImageRejection.TooLargeForRegion, BootloaderError.WrongLocation),
        // Fits the region but not what the bootloader leaves of it before its trailer: host and device use one size.
        new Case("too-large-for-the-largest-payload", ImageRejection.TooLargeForRegion, BootloaderError.WrongLocation),
        new Case("bootloader-image-as-application", ImageRejection.WrongImageKind, BootloaderError.WrongTarget),
        // The host cannot unwrap a device's key; the device finds the key was not made for it.
        new Case("key-wrapped-for-another-device-key", null, BootloaderError.KeyUnwrapFailed),
    }.ToDictionary(c => c.Name);

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in s_cases.Keys)
        {
            data.Add(name, true);
            data.Add(name, false);
        }
        return data;
    }

    private static FirmwareImage BadImage(string name, DeviceProfile profile) => name switch
    {
        "crc-on-signature-device" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, signer: Crc32ImageAuthenticator.Instance),
        "untrusted-signing-key" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, signer: new EcdsaP256Signer(DeviceKit.UntrustedSigningKey)),
        "tampered-manifest" => DeviceKit.WithTamperedManifest(DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2)),
        "bound-to-another-device" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, tweak: s => s.BoundDevices.Add(DeviceKit.UidOf(99))),
        "downgrade" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, counter: 2),
        "wrong-device-class" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, tweak: s => s.DeviceClassId = 0x99),
        "wrong-vendor" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, tweak: s => s.VendorId = 0x0BAD0000),
        "wrong-load-address" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, loadAddress: profile.MemoryMap.Application.Address + 0x2_0000),
        "too-large-for-region" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, size: (int)profile.MemoryMap.Application.Size + 16),
        "too-large-for-the-largest-payload" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, size: (int)profile.MemoryMap.Application.Size - 4096 + 16),
        "bootloader-image-as-application" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, tweak: s => s.Kind = ImageKind.Bootloader),
        "key-wrapped-for-another-device-key" => DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, encrypt: true, recipientKey: DeviceKit.IdentityKey(99).PublicKey),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-AUTH-DEV")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.MFST.MODIFICATION")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task Bad_image_is_refused_typed_and_the_installed_firmware_is_untouched(string name, bool localPreCheck)
    {
        Case @case = s_cases[name];
        DeviceProfile profile = DeviceKit.Profile(20);
        UpdateOptions options = Rig.FastOptions();
        options = options with
        {
            LocalPreCheck = localPreCheck,
            TrustedVerifiers = [.. options.TrustedVerifiers, new EcdsaP256Verifier(DeviceKit.SigningKey.PublicKey)],
            MaxResumeAttempts = 0,
        };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile, applicationCounter: @case.DeviceCounter), options);
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = BadImage(name, profile);
        FirmwareRegion app = device.Firmware.Inventory[RegionKind.Application];
        byte[] installed = device.Flash.ReadRaw(app.Start, (int)app.Size);
        long erasesBefore = device.Flash.Statistics.SectorErases;
        var states = new System.Collections.Concurrent.ConcurrentQueue<VirtualDeviceState>();
        device.StateChanged += (_, change) => states.Enqueue(change.Current);
        using CancellationTokenSource guard = Rig.Guard();

        Exception thrown = await Record.ExceptionAsync(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token));
        var e = thrown as UpdateRejectedException
            ?? throw new Xunit.Sdk.XunitException($"Expected a rejection; got {thrown}; device {device.State} ({device.StateReason}) at {device.Address}");

        if (localPreCheck && @case.Local is { } local)
        {
            Assert.True(e.RejectedLocally);
            Assert.Equal(local, e.LocalRejection);
            Assert.Null(e.DeviceError);
            // The application could tell everything this check needs: the device never left it.
            Assert.DoesNotContain(VirtualDeviceState.Bootloader, states);
            Assert.False(e.ApplicationRestarted);
        }
        else
        {
            Assert.False(e.RejectedLocally);
            Assert.Equal(@case.Device, e.DeviceError);
            Assert.False(string.IsNullOrWhiteSpace(e.DeviceMessage));
            // The device refused before erasing anything: the updater started the application again, and says so.
            Assert.True(e.ApplicationRestarted, e.Message);
            Assert.Contains("runs its application", e.Message);
        }
        // REQ-UPD-APP: a refused update leaves the device in service, its application running.
        Assert.Equal(VirtualDeviceState.Application, device.State);
        Assert.Equal(profile.Uid, e.Device);
        // Nothing was erased or written in the application region; the old application is still valid.
        Assert.Equal(erasesBefore, device.Flash.Statistics.SectorErases);
        Assert.Equal(installed, device.Flash.ReadRaw(app.Start, (int)app.Size));
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(DeviceKit.V1, inventory[RegionKind.Application].Version);
        Assert.Equal(UpdatePhase.Idle, inventory.UpdatePhase);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    [Trait("Threat", "THREAT.IMG.LOCATION")]
    public async Task CheckImage_on_a_device_in_its_application_checks_what_its_bootloader_checks_with_the_largest_payload_it_reports()
    {
        // The application reports only Forwarding among its own features; the bootloader's rules (signatures, the
        // regions and their largest payload) come from GetUpdateRules, which the application answers too.
        DeviceProfile profile = DeviceKit.Profile(22);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile));
        DeviceInfo inApplication = rig.Devices[0];
        Assert.False(inApplication.IsInBootloader);
        UpdateRules rules = Assert.IsType<UpdateRules>(inApplication.Rules);
        Assert.Equal(new ImageRegion(profile.MemoryMap.Application.Address, (uint)profile.MemoryMap.Application.Size - 4096), rules.Application);
        Assert.True(rules.BootloaderFeatures.HasFlag(Csa.Rpc.Device.FeatureFlags.Signatures));
        long sent = rig.Network.Node.Counters.FramesSent;

        rig.Updater.CheckImage(inApplication, DeviceKit.App(profile, DeviceKit.V2));
        var crc = Assert.Throws<UpdateRejectedException>(() => rig.Updater.CheckImage(inApplication, BadImage("crc-on-signature-device", profile)));
        Assert.Equal(ImageRejection.UnsupportedAuthentication, crc.LocalRejection);
        var large = Assert.Throws<UpdateRejectedException>(() => rig.Updater.CheckImage(inApplication, BadImage("too-large-for-the-largest-payload", profile)));
        Assert.Equal(ImageRejection.TooLargeForRegion, large.LocalRejection);
        rig.Updater.CheckImage(inApplication, DeviceKit.App(profile, DeviceKit.V2, size: (int)rules.Application.Size));

        Assert.Equal(sent, rig.Network.Node.Counters.FramesSent);
    }

    [Fact]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Threat", "THREAT.IMG.INCOMPATIBLE")]
    public async Task CheckImage_refuses_on_the_host_alone_without_talking_to_the_device()
    {
        DeviceProfile profile = DeviceKit.Profile(21);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile, withApplication: false));
        DeviceInfo inBootloader = rig.Devices[0];
        Assert.NotNull(inBootloader.Bootloader);
        long sent = rig.Network.Node.Counters.FramesSent;

        var e = Assert.Throws<UpdateRejectedException>(() => rig.Updater.CheckImage(inBootloader, BadImage("wrong-device-class", profile)));
        Assert.Equal(ImageRejection.WrongDeviceClass, e.LocalRejection);
        var encrypted = Assert.Throws<UpdateRejectedException>(() => rig.Updater.CheckImage(inBootloader,
            DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, encrypt: true, recipient: DeviceKit.UidOf(98), recipientKey: DeviceKit.IdentityKey(98).PublicKey)));
        Assert.Equal(ImageRejection.NoKeyForThisDevice, encrypted.LocalRejection);
        rig.Updater.CheckImage(inBootloader, DeviceKit.App(profile, DeviceKit.V2));

        Assert.Equal(sent, rig.Network.Node.Counters.FramesSent);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task Tampered_payload_is_refused_and_the_device_never_runs_it(bool localPreCheck)
    {
        DeviceProfile profile = DeviceKit.Profile(22);
        UpdateOptions options = Rig.FastOptions();
        options = options with { LocalPreCheck = localPreCheck };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), options);
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.WithTamperedPayload(DeviceKit.App(profile, DeviceKit.V2, size: 30_000));
        using CancellationTokenSource guard = Rig.Guard();

        var e = await Assert.ThrowsAsync<UpdateRejectedException>(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token));

        if (localPreCheck)
        {
            Assert.Equal(ImageRejection.PayloadHashMismatch, e.LocalRejection);
            Assert.Equal(RegionState.Valid, device.Firmware.Inventory[RegionKind.Application].State);
            Assert.Equal(DeviceKit.V1, device.Firmware.Inventory[RegionKind.Application].Version);
            return;
        }
        // The device found out only after writing (the payload hash is checked over what was written): the target region
        // is invalid, the bootloader stays resident, and a power cycle does not start the tampered image either.
        Assert.Equal(BootloaderError.PayloadHashMismatch, e.DeviceError);
        Assert.NotEqual(RegionState.Valid, device.Firmware.Inventory[RegionKind.Application].State);
        Assert.Equal(VirtualDeviceState.Bootloader, device.State);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerCycleAsync(guard.Token));
        Assert.Contains(device.Firmware.Inventory.StayReason, new[] { StayReason.NoValidApplication, StayReason.UpdateInProgress });
    }
}

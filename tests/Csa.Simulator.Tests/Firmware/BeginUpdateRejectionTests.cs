using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>Every refusal of BeginUpdate happens before the first erase: flash statistics do not move.</summary>
public class BeginUpdateRejectionTests
{
    public sealed record Case(string Name, BootloaderError Expected, Func<DeviceProfile, BeginUpdateRequest> Request, Func<DeviceProfile, DeviceProfile>? Configure = null, uint InstalledCounter = 0)
    {
        public override string ToString() => Name;
    }

    private static BeginUpdateRequest App(FirmwareImage image, byte[]? wrappedKey = null) =>
        new(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), wrappedKey ?? WrappedKey(image));

    private static DeviceProfile With(DeviceProfile p, bool encryption = false, bool binding = false, bool downgrade = true) => new()
    {
        MemoryMap = p.MemoryMap, Uid = p.Uid, TrustedSigningKeys = p.TrustedSigningKeys, IdentityKey = p.IdentityKey,
        RequireEncryption = encryption, RequireDeviceBinding = binding, DowngradePrevention = downgrade, FlashTiming = p.FlashTiming,
    };

    public static TheoryData<Case> Cases() => new()
    {
        new("truncated manifest", BootloaderError.BadManifest, p =>
        {
            FirmwareImage i = Image(p, RegionKind.Application, V(2));
            return new(UpdateTarget.Application, i.ManifestBytes[..40].ToArray(), i.AuthenticationBlock.ToArray(), []);
        }),
        new("bad magic", BootloaderError.BadManifest, p =>
        {
            FirmwareImage i = Image(p, RegionKind.Application, V(2));
            byte[] m = i.ManifestBytes.ToArray();
            m[0] ^= 0xFF;
            return new(UpdateTarget.Application, m, i.AuthenticationBlock.ToArray(), []);
        }),
        new("untrusted signing key", BootloaderError.UnknownKey, p => App(Image(p, RegionKind.Application, V(2), signer: new EcdsaP256Signer(OtherSigningKey)))),
        new("forged signature", BootloaderError.BadSignature, p =>
        {
            FirmwareImage i = Image(p, RegionKind.Application, V(2));
            byte[] auth = i.AuthenticationBlock.ToArray();
            auth[10] ^= 0x40;
            return new(UpdateTarget.Application, i.ManifestBytes.ToArray(), auth, []);
        }),
        new("manifest modified after signing", BootloaderError.BadSignature, p =>
        {
            FirmwareImage i = Image(p, RegionKind.Application, V(2));
            byte[] m = i.ManifestBytes.ToArray();
            m[m.Length / 2] ^= 0x01;
            return new(UpdateTarget.Application, m, i.AuthenticationBlock.ToArray(), []);
        }),
        new("CRC-only image on a signature device", BootloaderError.BadSignature, p => App(Image(p, RegionKind.Application, V(2), signer: Crc32ImageAuthenticator.Instance))),
        new("another vendor", BootloaderError.WrongTarget, p => App(Image(p, RegionKind.Application, V(2), tweak: s => s.VendorId = 0xBAD))),
        new("another device class", BootloaderError.WrongTarget, p => App(Image(p, RegionKind.Application, V(2), tweak: s => s.DeviceClassId = 77))),
        new("a bootloader image for the application", BootloaderError.WrongTarget, p =>
            App(Image(p, RegionKind.BootloaderB, V(2), loadAddress: p.MemoryMap.Application.Address))),
        new("an application image for the other copy", BootloaderError.WrongTarget, p =>
        {
            FirmwareImage i = Image(p, RegionKind.Application, V(2), loadAddress: p.MemoryMap.BootloaderB.Address);
            return new(UpdateTarget.OtherBootloader, i.ManifestBytes.ToArray(), i.AuthenticationBlock.ToArray(), []);
        }),
        new("a bootloader linked for the running copy", BootloaderError.WrongLocation, p =>
        {
            FirmwareImage i = Image(p, RegionKind.BootloaderA, V(2));
            return new(UpdateTarget.OtherBootloader, i.ManifestBytes.ToArray(), i.AuthenticationBlock.ToArray(), []);
        }),
        new("bound to another device", BootloaderError.NotBoundToThisDevice, p => App(Image(p, RegionKind.Application, V(2), tweak: s => s.BoundDevices.Add(OtherUid)))),
        new("unbound on a binding product", BootloaderError.NotBoundToThisDevice, p => App(Image(p, RegionKind.Application, V(2))), p => With(p, binding: true)),
        new("security counter below the device's", BootloaderError.SecurityCounterTooLow, p => App(Image(p, RegionKind.Application, V(2), counter: 2)), InstalledCounter: 3),
        new("linked for another address", BootloaderError.WrongLocation, p => App(Image(p, RegionKind.Application, V(2), loadAddress: p.MemoryMap.Application.Address + 0x400))),
        new("too large for the region", BootloaderError.WrongLocation, p => App(Image(p, RegionKind.Application, V(2), size: p.MemoryMap.Application.Size - 100))),
        new("plaintext on an encryption-only product", BootloaderError.EncryptionRequired, p => App(Image(p, RegionKind.Application, V(2))), p => With(p, encryption: true)),
        new("content key wrapped for another device key", BootloaderError.KeyUnwrapFailed, p =>
            App(Image(p, RegionKind.Application, V(2), encrypt: true, recipientKey: OtherIdentityKey.PublicKey))),
        new("encrypted image without a wrapped key", BootloaderError.KeyUnwrapFailed, p => App(Image(p, RegionKind.Application, V(2), encrypt: true), [])),
        new("wrapped key taken from another image", BootloaderError.KeyUnwrapFailed, p =>
            App(Image(p, RegionKind.Application, V(2), encrypt: true), WrappedKey(Image(p, RegionKind.Application, V(3), encrypt: true)))),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-TAMPER")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task A_refused_image_erases_and_programs_nothing(Case c)
    {
        foreach (FlashFamily family in new[] { FlashFamily.Stm32F4, FlashFamily.Stm32L4 })
        {
            DeviceProfile profile = Profile(family);
            profile = c.Configure?.Invoke(profile) ?? profile;
            SimulatedFlash flash = StrictFlash(profile);
            Action<ImageSettings>? bind = profile.RequireDeviceBinding ? s => s.BoundDevices.Add(Uid) : null;
            FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1), tweak: bind),
                application: Image(profile, RegionKind.Application, V(1), counter: c.InstalledCounter, encrypt: profile.RequireEncryption, tweak: bind));
            var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
            await firmware.RequestBootloaderAsync(0, CancellationToken.None);
            Assert.Equal(StayReason.Requested, firmware.Boot().StayReason);
            FlashStatistics before = flash.Statistics;

            BootloaderError error = await ErrorOf(() => Client(firmware).BeginUpdateAsync(c.Request(profile)));

            Assert.Equal(c.Expected, error);
            FlashStatistics after = flash.Statistics;
            Assert.Equal(before.SectorErases, after.SectorErases);
            Assert.Equal(before.ProgramOperations, after.ProgramOperations);
            Assert.Equal(UpdatePhase.Idle, (await Client(firmware).GetStatusAsync()).Phase);
            Assert.Equal(RegionState.Valid, firmware.Inventory[RegionKind.Application].State);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    public async Task Without_downgrade_prevention_an_older_counter_is_accepted()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4, downgradePrevention: false);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)), application: Image(profile, RegionKind.Application, V(1), counter: 5));
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        await firmware.RequestBootloaderAsync(0, CancellationToken.None);
        firmware.Boot();
        await UpdateAsync(Client(firmware), UpdateTarget.Application, Image(profile, RegionKind.Application, V(0, 9), counter: 1));
        Assert.Equal(V(0, 9), firmware.Boot().ApplicationVersion);
        Assert.Equal(0u, firmware.Inventory.DeviceSecurityCounter);
    }
}

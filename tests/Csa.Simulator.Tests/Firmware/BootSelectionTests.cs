using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>The pre-bootloader's choice of copy and the bootloader's start-up decision, for every combination of region contents.</summary>
public class BootSelectionTests
{
    public enum Content
    {
        Missing,
        ValidV1,
        ValidV2,
        TamperedPayload,
        UntrustedKey,
    }

    public static TheoryData<FlashFamily, Content, Content, Content> Combinations()
    {
        var data = new TheoryData<FlashFamily, Content, Content, Content>();
        foreach (Content a in Enum.GetValues<Content>())
            foreach (Content b in Enum.GetValues<Content>())
                foreach (Content app in new[] { Content.Missing, Content.ValidV1, Content.TamperedPayload, Content.UntrustedKey })
                    data.Add(a == b && a == Content.ValidV1 && app == Content.ValidV1 ? FlashFamily.Stm32L4 : FlashFamily.Stm32F4, a, b, app);
        data.Add(FlashFamily.Stm32L4, Content.ValidV1, Content.ValidV2, Content.ValidV1);
        data.Add(FlashFamily.Stm32L4, Content.TamperedPayload, Content.ValidV1, Content.TamperedPayload);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-UPD-BL")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public void Boot_picks_the_valid_copy_with_the_highest_version_and_checks_the_application(FlashFamily family, Content a, Content b, Content app)
    {
        DeviceProfile profile = Profile(family);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.WritePreBootloader(profile, flash);
        Install(profile, flash, RegionKind.BootloaderA, a);
        Install(profile, flash, RegionKind.BootloaderB, b);
        Install(profile, flash, RegionKind.Application, app);

        BootDecision decision = new DeviceFirmware(profile, flash, TimeProvider.System).Boot();

        RegionKind? expected = Expected(a, b);
        Assert.Equal(expected, decision.RunningBootloader);
        if (expected is null)
        {
            Assert.True(decision.IsBricked);
            return;
        }
        bool appValid = app == Content.ValidV1;
        Assert.Equal(appValid, decision.StartApplication);
        Assert.Equal(appValid ? StayReason.None : StayReason.NoValidApplication, decision.StayReason);
        Assert.Equal(appValid ? V(1) : null, decision.ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public void Without_the_pre_bootloader_nothing_runs()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Install(profile, flash, RegionKind.BootloaderA, Image(profile, RegionKind.BootloaderA, V(1)));
        Assert.True(new DeviceFirmware(profile, flash, TimeProvider.System).Boot().IsBricked);
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public void An_application_bound_to_another_device_is_not_started()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1)),
            application: Image(profile, RegionKind.Application, V(1), tweak: s => s.BoundDevices.Add(OtherUid)));
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        BootDecision decision = firmware.Boot();
        Assert.Equal(StayReason.NoValidApplication, decision.StayReason);
        Assert.Equal(RegionState.Invalid, firmware.Inventory[RegionKind.Application].State);
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public void Inventory_reports_versions_counters_and_the_running_copy()
    {
        DeviceProfile profile = Profile(FlashFamily.Stm32L4);
        SimulatedFlash flash = StrictFlash(profile);
        FactoryProgrammer.Program(profile, flash, Image(profile, RegionKind.BootloaderA, V(1, 2, 3), counter: 2),
            Image(profile, RegionKind.BootloaderB, V(1, 2, 4), counter: 3), Image(profile, RegionKind.Application, V(4, 5, 6), counter: 1));
        var firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        firmware.Boot();
        FirmwareInventory inventory = firmware.Inventory;
        Assert.Equal(RegionKind.BootloaderB, inventory.RunningBootloader);
        Assert.True(inventory.ApplicationRunning);
        Assert.Equal(V(1, 2, 3), inventory[RegionKind.BootloaderA].Version);
        Assert.Equal(V(4, 5, 6), inventory[RegionKind.Application].Version);
        Assert.Equal(3u, inventory[RegionKind.BootloaderB].SecurityCounter);
        Assert.Equal(3u, inventory.DeviceSecurityCounter); // the highest valid installed image's counter
        Assert.Equal(RegionState.Valid, inventory[RegionKind.PreBootloader].State);
        Assert.Equal(profile.MemoryMap.Application.Address, inventory[RegionKind.Application].Start);
    }

    private static RegionKind? Expected(Content a, Content b)
    {
        static int Rank(Content c) => c switch { Content.ValidV1 => 1, Content.ValidV2 => 2, _ => 0 };
        if (Rank(a) == 0 && Rank(b) == 0)
            return null;
        return Rank(b) > Rank(a) ? RegionKind.BootloaderB : RegionKind.BootloaderA;
    }

    private static void Install(DeviceProfile profile, SimulatedFlash flash, RegionKind region, Content content)
    {
        FirmwareImage? image = content switch
        {
            Content.Missing => null,
            Content.ValidV1 => Image(profile, region, V(1)),
            Content.ValidV2 => Image(profile, region, V(2)),
            Content.TamperedPayload => WithTamperedPayload(Image(profile, region, V(3))),
            Content.UntrustedKey => Image(profile, region, V(3), signer: new Csa.Crypto.EcdsaP256Signer(OtherSigningKey)),
            _ => throw new ArgumentOutOfRangeException(nameof(content)),
        };
        if (image is not null)
            FactoryProgrammer.Install(profile, flash, region, image);
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using static Csa.Simulator.Tests.Firmware.Kit;

namespace Csa.Simulator.Tests.Firmware;

/// <summary>
/// Seeded random hosts: writes in any order, duplicates, resets, power cuts in the middle of operations, repeated
/// BeginUpdate and early FinishUpdate, on a strict flash. The device must never be bricked, never report a flash
/// fault, and a final well-behaved retry must install the image.
/// </summary>
public class RandomisedUpdateTests
{
    public static TheoryData<int> Seeds(int count)
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < count; i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds), 12)]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-UPD-BL")]
    public Task A_random_host_with_resets_and_cuts_ends_with_the_image_installed(int seed) => RunAsync(seed);

    [Theory]
    [MemberData(nameof(Seeds), 300)]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task Exhaustive_random_hosts(int seed) => RunAsync(1000 + seed);

    private static async Task RunAsync(int seed)
    {
        var random = new Random(seed);
        FlashFamily family = random.Next(2) == 0 ? FlashFamily.Stm32F4 : FlashFamily.Stm32L4;
        bool bootloader = random.Next(3) == 0;
        bool encrypted = !bootloader && random.Next(2) == 0;
        DeviceProfile profile = Profile(family);
        (DeviceFirmware firmware, SimulatedFlash flash) = FactoryDevice(profile, withApplication: false);
        int size = random.Next(1, bootloader ? 60_000 : 200_000);
        FirmwareImage image = bootloader
            ? Image(profile, RegionKind.BootloaderB, V(1, 1), size: size, seed: seed)
            : Image(profile, RegionKind.Application, V(2), size: size, encrypt: encrypted, seed: seed);
        FirmwareImage imageForA = Image(profile, RegionKind.BootloaderA, V(1, 1), size: size, seed: seed);
        UpdateTarget target = bootloader ? UpdateTarget.OtherBootloader : UpdateTarget.Application;
        string trace = $"seed {seed}: {family}, {(bootloader ? "bootloader" : encrypted ? "encrypted application" : "application")}, {size} bytes";

        int cursor = 0; // where this host's sequential sending stands
        for (int step = 0; step < 160; step++)
        {
            if (Done(firmware, bootloader))
                break;
            if (bootloader && firmware.LastBoot!.RunningBootloader == RegionKind.BootloaderB)
                break; // the new copy runs (its version is checked at the end)
            BootloaderClient client = Client(firmware);
            FirmwareImage offered = firmware.LastBoot!.RunningBootloader == RegionKind.BootloaderB ? imageForA : image;
            int action = random.Next(100);
            try
            {
                if (action < 5)
                {
                    firmware.Boot(); // a reset
                }
                else if (action < 10)
                {
                    flash.ArmPowerCut(PowerCutPlan.DuringOperationAt(random.Next(4), seed: random.Next(), (TornEraseStyle)random.Next(3)));
                }
                else if (action < 18)
                {
                    cursor = (int)(await BeginAsync(client, target, offered)).ResumeOffset;
                }
                else if (action < 21)
                {
                    await client.FinishUpdateAsync();
                }
                else if (action < 23)
                {
                    await client.GetStatusAsync();
                }
                else
                {
                    int blocks = (offered.Payload.Length + 15) / 16;
                    bool sequential = action < 80 && cursor < offered.Payload.Length;
                    int first = sequential ? cursor / 16 : random.Next(blocks);
                    int length = Math.Min(random.Next(1, 257) * 16, offered.Payload.Length - first * 16);
                    await client.WriteAsync((uint)(first * 16), offered.Payload.Slice(first * 16, length).ToArray());
                    if (sequential)
                        cursor += length;
                }
            }
            catch (PowerLossException)
            {
                flash.PowerOn();
                firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
                Assert.False(firmware.Boot().IsBricked, trace);
            }
            catch (RpcErrorException e) when (BootloaderInterface.TryGetError(e, out BootloaderError error))
            {
                Assert.True(error is BootloaderError.NoUpdateInProgress or BootloaderError.Incomplete,
                    $"{trace}, step {step}: {error}: {e.Message}");
            }
        }

        // A well-behaved host finishes the job.
        flash.DisarmPowerCut();
        if (!flash.IsPowered)
            flash.PowerOn();
        firmware = new DeviceFirmware(profile, flash, TimeProvider.System);
        BootDecision decision = firmware.Boot();
        Assert.False(decision.IsBricked, trace);
        if (!Done(firmware, bootloader) && !(bootloader && decision.RunningBootloader == RegionKind.BootloaderB))
            await UpdateAsync(Client(firmware), target, decision.RunningBootloader == RegionKind.BootloaderB ? imageForA : image);
        decision = firmware.Boot();
        if (bootloader)
            Assert.Equal(V(1, 1), firmware.Inventory[decision.RunningBootloader!.Value].Version);
        else
            Assert.Equal(V(2), decision.ApplicationVersion);
    }

    private static bool Done(DeviceFirmware firmware, bool bootloader) =>
        !bootloader && firmware.LastBoot!.StartApplication;
}

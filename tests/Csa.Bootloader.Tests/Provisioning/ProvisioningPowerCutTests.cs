using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Provisioning;

/// <summary>
/// REQ-PROD-KEYS with REQ-RECOVER: the power fails before, and in the middle of, every flash operation of provisioning
/// (as MCUboot's simulator counts them, with littlefs-style tears). Every time the device comes back blank or fully
/// provisioned, never in between, and a second run of the station then provisions it.
/// </summary>
public sealed class ProvisioningPowerCutTests
{
    public static TheoryData<FlashFamily> Families() => new() { FlashFamily.Stm32F4, FlashFamily.Stm32L4 };

    [Theory]
    [MemberData(nameof(Families))]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    public Task PowerCut_AtEveryFlashOperationOfProvisioning_LeavesBlankOrProvisioned(FlashFamily family) => SweepAsync(family, [1]);

    [Theory]
    [MemberData(nameof(Families))]
    [Trait("Requirement", "REQ-PROD-KEYS")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Category", "Exhaustive")]
    public Task PowerCut_AtEveryFlashOperationOfProvisioning_WithMoreTears_LeavesBlankOrProvisioned(FlashFamily family) => SweepAsync(family, [2, 3, 4, 5]);

    private static async Task SweepAsync(FlashFamily family, int[] seeds)
    {
        DeviceProfile profile = ProvisioningKit.Profile(family == FlashFamily.Stm32F4 ? 50 : 51, family);
        int operations = await CountOperationsAsync(profile);
        // The record body, its commit marker and the write protection of the provisioning region.
        Assert.Equal(3, operations);

        var plans = new List<PowerCutPlan>();
        for (int i = 0; i < operations; i++)
        {
            plans.Add(PowerCutPlan.BeforeOperation(i));
            foreach (int seed in seeds)
                plans.Add(PowerCutPlan.DuringOperationAt(i, seed));
        }
        var outcomes = new List<string>();
        foreach (PowerCutPlan plan in plans)
            outcomes.Add(await CutAndRecoverAsync(profile, plan));
        // Both outcomes happen: cuts before the commit marker lands leave blank devices, cuts after it provisioned ones.
        Assert.Contains("Blank", outcomes);
        Assert.Contains("Provisioned", outcomes);
        // (tests/Csa.Simulator.Tests ProvisioningFirmwareTests adds a second cut during the retry, which erases a torn record.)
    }

    private static ProvisioningStation FastStation() => new(ProvisioningKit.Signer, Csa.Crypto.EcdsaP256SignatureVerifier.Instance, new ProvisioningStationOptions
    {
        VendorId = 0x00C5A000,
        DeviceClassId = 1,
        Retry = new() { Timeout = TimeSpan.FromSeconds(1), Attempts = 1 },
        InstallAllowance = TimeSpan.FromMilliseconds(500),
    });

    private static async Task<int> CountOperationsAsync(DeviceProfile profile)
    {
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        long before = rig.Virtual[0].Flash.Statistics.OperationCount;
        await ProvisioningKit.ProvisionAllAsync(rig);
        return (int)(rig.Virtual[0].Flash.Statistics.OperationCount - before);
    }

    private static async Task<string> CutAndRecoverAsync(DeviceProfile profile, PowerCutPlan plan)
    {
        await using Rig rig = await Rig.StarAsync(1, _ => ProvisioningKit.Blank(profile));
        VirtualDevice device = rig.Virtual[0];
        using CancellationTokenSource guard = Rig.Guard();
        using var poweredOff = CancellationTokenSource.CreateLinkedTokenSource(guard.Token);
        // The station notices the lost device at once instead of waiting for its timeout.
        void OnState(object? sender, VirtualDeviceStateChange change)
        {
            if (change.Current == VirtualDeviceState.Off)
                _ = Task.Run(() => poweredOff.Cancel());
        }
        device.StateChanged += OnState;
        device.Flash.ArmPowerCut(plan);
        // The station stops with the device gone: cancelled by the power watch, or a typed provisioning failure; never a
        // crash of its own.
        Exception stopped = await Assert.ThrowsAnyAsync<Exception>(() => FastStation().ProvisionAsync(rig.Network, rig.Devices[0], poweredOff.Token));
        Assert.True(stopped is OperationCanceledException or ProvisioningException, stopped.ToString());
        device.StateChanged -= OnState;
        await device.WaitForStateAsync(VirtualDeviceState.Off).WaitAsync(guard.Token);

        await device.PowerOnAsync();
        DeviceLifecycle lifecycle = device.Firmware.Lifecycle;
        DeviceCertificate? stored = device.Firmware.Certificate;
        if (lifecycle == DeviceLifecycle.Provisioned)
        {
            // Fully provisioned: a certificate from the production key for this device's own key.
            Assert.NotNull(stored);
            Assert.Equal(profile.Uid, stored.Uid);
            Assert.Equal(device.KeyStorage.IdentityPublicKey!.ToUncompressedPoint(), stored.GetUncompressedPublicKey());
            Assert.Null(ProvisioningKit.TrustAnchor.Check(stored));
        }
        else
        {
            Assert.Equal(DeviceLifecycle.Blank, lifecycle);
            Assert.Null(stored);
            Assert.Equal(StayReason.NotProvisioned, device.Firmware.LastBoot!.StayReason);
        }

        // The station runs again and completes the device (provisioning it, or completing the lock).
        IReadOnlyList<DeviceInfo> devices = await rig.Network.DiscoverAsync(guard.Token);
        ProvisioningResult again = await FastStation().ProvisionAsync(rig.Network, devices[0], guard.Token);
        Assert.Equal(lifecycle == DeviceLifecycle.Provisioned ? ProvisioningOutcome.AlreadyProvisioned : ProvisioningOutcome.Provisioned, again.Outcome);
        if (stored is not null)
            Assert.Equal(stored, again.Certificate);
        Assert.Equal(DeviceLifecycle.Provisioned, device.Firmware.Lifecycle);
        Assert.True(device.Firmware.ProvisioningLocked, $"{plan}: not locked after the second run");
        await ProvisioningKit.Authenticator().AuthenticateAsync(rig.Network, devices[0], guard.Token);
        return lifecycle.ToString();
    }
}

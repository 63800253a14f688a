using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Bootloader.Tests.Updates;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Csa.Simulator.Hosting;

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
    public Task Power_cut_at_every_flash_operation_of_provisioning_leaves_blank_or_provisioned(FlashFamily family) => SweepAsync(family, [1, 2, 3, 4, 5]);

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

    /// <summary>
    /// A blank device on a board whose USB serial bridge it powers (the station sees a power cut as its port closing, as
    /// on such a board), and a network over that point-to-point port.
    /// </summary>
    private sealed record Bench(VirtualDevice Device, UsbSerialDevicePort Usb, DeviceNetwork Network) : IAsyncDisposable
    {
        public static async Task<Bench> StartAsync(DeviceProfile profile, CancellationToken cancellationToken)
        {
            VirtualDevice device = ProvisioningKit.Blank(profile);
            UsbSerialDevicePort usb = UsbSerialDevicePort.Attach(device);
            await device.PowerOnAsync(cancellationToken);
            DeviceNetworkOptions options = Rig.NetworkOptions() with { AddressesPerLink = 1 };
            DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromFactory(usb.Name, usb.OpenAsync)], options, cancellationToken);
            return new Bench(device, usb, network);
        }

        public async ValueTask DisposeAsync()
        {
            await Network.DisposeAsync();
            await Usb.DisposeAsync();
            await Device.DisposeAsync();
        }
    }

    private static async Task<int> CountOperationsAsync(DeviceProfile profile)
    {
        using CancellationTokenSource guard = Rig.Guard();
        await using Bench bench = await Bench.StartAsync(profile, guard.Token);
        long before = bench.Device.Flash.Statistics.OperationCount;
        IReadOnlyList<ProvisioningResult> results = await ProvisioningKit.Station().ProvisionAllAsync(bench.Network, 1, null, guard.Token);
        Assert.True(results.Single().Succeeded, results.Single().Error?.ToString());
        return (int)(bench.Device.Flash.Statistics.OperationCount - before);
    }

    private static async Task<string> CutAndRecoverAsync(DeviceProfile profile, PowerCutPlan plan)
    {
        using CancellationTokenSource guard = Rig.Guard();
        await using Bench bench = await Bench.StartAsync(profile, guard.Token);
        VirtualDevice device = bench.Device;
        DeviceInfo info = (await bench.Network.DiscoverAsync(guard.Token)).Single();
        device.Flash.ArmPowerCut(plan);
        // The station stops with the device gone: its port closed under the command in flight (an unreachable device),
        // or a typed provisioning failure; never a crash of its own.
        Exception stopped = await Assert.ThrowsAnyAsync<Exception>(() => FastStation().ProvisionAsync(bench.Network, info, guard.Token));
        Assert.True(stopped is Csa.DataLink.DataLinkException or ProvisioningException, stopped.ToString());
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
        IReadOnlyList<DeviceInfo> devices = await bench.Network.DiscoverAsync(guard.Token);
        ProvisioningResult again = await FastStation().ProvisionAsync(bench.Network, devices[0], guard.Token);
        Assert.Equal(lifecycle == DeviceLifecycle.Provisioned ? ProvisioningOutcome.AlreadyProvisioned : ProvisioningOutcome.Provisioned, again.Outcome);
        if (stored is not null)
            Assert.Equal(stored, again.Certificate);
        Assert.Equal(DeviceLifecycle.Provisioned, device.Firmware.Lifecycle);
        Assert.True(device.Firmware.ProvisioningLocked, $"{plan}: not locked after the second run");
        await ProvisioningKit.Authenticator().AuthenticateAsync(bench.Network, devices[0], guard.Token);
        return lifecycle.ToString();
    }
}

using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Rpc.Device;
using Csa.Simulator.DemoApp;
using Csa.Simulator.Device;
using Csa.Simulator.Device.Internal;
using Csa.Simulator.Flash;
using Microsoft.Extensions.Time.Testing;
using static Csa.Simulator.Tests.Device.DeviceTestSupport;

namespace Csa.Simulator.Tests.Device;

/// <summary>Power, resets, entering the bootloader, events and persistence of a single device.</summary>
public sealed class VirtualDeviceLifecycleTests
{
    private static async Task<(TestHost Host, NodeAddress Address)> ConnectAsync(VirtualDevice device)
    {
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("life");
        device.AttachUpstream(deviceEnd);
        TestHost host = TestHost.Create();
        host.Add(hostEnd);
        await device.PowerOnAsync();
        IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
        Assert.Single(members);
        return (host, members[0].Address);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task EnterBootloader_from_the_application_restarts_into_the_bootloader_at_the_same_address_and_Reset_Normal_returns()
    {
        await using VirtualDevice device = CreateDevice();
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            using var client = new DeviceClient(host.Client, address);
            Task inBootloader = StateWatch.NextAsync(device, VirtualDeviceState.Bootloader);
            await client.EnterBootloaderAsync(0).WaitAsync(HangGuard);
            await inBootloader;

            // No re-enumeration: a commanded reset keeps the assigned address.
            Assert.Equal(address, device.Address);
            GetVersionsResponse versions = await client.GetVersionsAsync().WaitAsync(HangGuard);
            Assert.Equal(ImageKind.Bootloader, versions.RunningImage);
            Assert.True(versions.ApplicationValid);
            using var bootloader = new BootloaderClient(host.Client, address);
            GetStatusResponse status = await bootloader.GetStatusAsync().WaitAsync(HangGuard);
            Assert.Equal(StayReason.Requested, status.StayReason);
            Assert.Equal(UpdatePhase.Idle, status.Phase);

            // EnterBootloader in the bootloader is answered and changes nothing.
            await client.EnterBootloaderAsync(0).WaitAsync(HangGuard);
            Assert.Equal(VirtualDeviceState.Bootloader, device.State);

            Task inApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
            await client.ResetAsync(ResetMode.Normal, 0).WaitAsync(HangGuard);
            await inApplication;
            Assert.Equal(ImageKind.Application, (await client.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);
            Assert.False(device.Firmware.Inventory.BootloaderRequested);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task Reset_in_bootloader_mode_from_the_application_lands_in_the_bootloader()
    {
        await using VirtualDevice device = CreateDevice();
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            using var client = new DeviceClient(host.Client, address);
            Task inBootloader = StateWatch.NextAsync(device, VirtualDeviceState.Bootloader);
            await client.ResetAsync(ResetMode.Bootloader, 5).WaitAsync(HangGuard);
            await inBootloader;
            Assert.Equal(ImageKind.Bootloader, (await client.GetVersionsAsync().WaitAsync(HangGuard)).RunningImage);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_requested_stay_with_a_wait_time_ends_in_the_application_when_no_host_comes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using VirtualDevice device = CreateDevice(options: new VirtualDeviceOptions { TimeProvider = time, HeartbeatInterval = null, PublishTelemetry = false });
        await device.PowerOnAsync();
        await device.Firmware.RequestBootloaderAsync(10, CancellationToken.None);

        Task backInApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.ResetAsync());
        Assert.Equal(StayReason.Requested, device.Firmware.LastBoot!.StayReason);
        Assert.NotNull(device.Firmware.RequestedStayDeadline);

        await StateWatch.AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), backInApplication);
        Assert.False(device.Firmware.Inventory.BootloaderRequested);
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_requested_stay_ends_in_the_application_after_its_wait_although_a_host_kept_reading_the_status()
    {
        // A host that entered the bootloader, read its status, was refused (or crashed) and went away must not keep the
        // device out of its application: status reads do not extend or clear the wait.
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using VirtualDevice device = CreateDevice(options: new VirtualDeviceOptions { TimeProvider = time, HeartbeatInterval = null, PublishTelemetry = false });
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            await device.Firmware.RequestBootloaderAsync(10, CancellationToken.None);
            Assert.Equal(VirtualDeviceState.Bootloader, await device.ResetAsync());
            Task backInApplication = StateWatch.NextAsync(device, VirtualDeviceState.Application);
            using var bootloader = new BootloaderClient(host.Client, address);
            using var deviceClient = new DeviceClient(host.Client, address);
            for (int second = 0; second < 9; second++)
            {
                Assert.Equal(StayReason.Requested, (await bootloader.GetStatusAsync().WaitAsync(HangGuard)).StayReason);
                await bootloader.GetRegionHashAsync(RegionKind.Application, 0, 1024).WaitAsync(HangGuard);
                await deviceClient.GetVersionsAsync().WaitAsync(HangGuard);
                time.Advance(TimeSpan.FromSeconds(1));
            }
            Assert.Equal(VirtualDeviceState.Bootloader, device.State);

            await StateWatch.AdvanceUntilAsync(time, TimeSpan.FromSeconds(1), backInApplication);
            Assert.False(device.Firmware.Inventory.BootloaderRequested);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RPC")]
    public async Task The_application_publishes_Telemetry_every_second_and_Heartbeat_on_its_interval_through_the_device_clock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        await using VirtualDevice device = CreateDevice(options: new VirtualDeviceOptions { TimeProvider = time, HeartbeatInterval = TimeSpan.FromSeconds(3) });
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            using var demo = new DemoAppClient(host.Client, address);
            using var deviceClient = new DeviceClient(host.Client, address);
            using var stop = new CancellationTokenSource(HangGuard);
            await using IAsyncEnumerator<TelemetryEvent> telemetry = demo.TelemetryEventsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
            await using IAsyncEnumerator<HeartbeatEvent> heartbeats = deviceClient.HeartbeatEventsAsync(stop.Token).GetAsyncEnumerator(stop.Token);
            ValueTask<bool> firstHeartbeat = heartbeats.MoveNextAsync();

            for (uint second = 1; second <= 3; second++)
            {
                ValueTask<bool> next = telemetry.MoveNextAsync();
                time.Advance(TimeSpan.FromSeconds(1));
                Assert.True(await next);
                TelemetryEvent e = telemetry.Current;
                Assert.Equal(second, e.Counter);
                Assert.Equal(second * 1000, e.UptimeMilliseconds);
                Assert.Equal(SensorWaveform.Read(0, TimeSpan.FromSeconds(second)), e.Channel0);
                Assert.False(e.LedOn);
            }

            Assert.True(await firstHeartbeat);
            Assert.Equal(new HeartbeatEvent(DeviceState.Running, ImageKind.Application, 3000), heartbeats.Current);
            Assert.Equal(3u, (await demo.GetApplicationInfoAsync().WaitAsync(HangGuard)).TelemetryCounter);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_power_cut_under_a_command_leaves_it_unanswered_and_the_device_answers_again_after_power_on()
    {
        await using VirtualDevice device = CreateDevice();
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            using var client = new DeviceClient(host.Client, address);
            Task off = StateWatch.NextAsync(device, VirtualDeviceState.Off);
            // The flash dies on the first operation: EnterBootloader's journal write.
            device.Flash.ArmPowerCut(PowerCutPlan.BeforeOperation(0));

            var once = new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 };
            await Assert.ThrowsAsync<RpcTimeoutException>(() => client.EnterBootloaderAsync(new EnterBootloaderRequest(0), once).WaitAsync(HangGuard));
            await off;
            Assert.False(device.Flash.IsPowered);
            Assert.Equal("power cut", device.StateReason);
            Assert.Null(device.Address);

            // Off: nothing answers, whatever the host sends.
            await Assert.ThrowsAsync<RpcTimeoutException>(() => client.GetIdentityAsync(new GetIdentityRequest(), once).WaitAsync(HangGuard));

            // Power on: the request never reached flash, so the application starts, unassigned; enumerate and talk.
            Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync());
            Assert.Equal(NodeAddress.Unassigned, device.Address);
            IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
            using var again = new DeviceClient(host.Client, members[0].Address);
            Assert.Equal(device.Profile.Uid.ToArray(), (await again.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
        }
    }

    /// <summary>
    /// One cut can be seen by several parts of a run (a command and the background eraser), and each reports it. A report
    /// that comes late, after the supply has powered the device on again, must not cut the new run (it did: a power-cut
    /// sweep's restorer then found the device off again under its checks).
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_late_power_loss_report_from_a_run_that_is_gone_does_not_cut_the_device_powered_on_since()
    {
        await using VirtualDevice device = CreateDevice(withApplication: false);
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerOnAsync());
        Action stale = device.Firmware.Bootloader.BackgroundPowerLost!; // the first run's report
        await device.CutPowerAsync();
        Assert.Equal(VirtualDeviceState.Bootloader, await device.PowerOnAsync());
        Task off = StateWatch.NextAsync(device, VirtualDeviceState.Off);

        stale();

        // Nothing is to happen, so this waits a moment for it (a slow machine can only make the test miss the bug, never fail it).
        await Task.WhenAny(off, Task.Delay(500));
        Assert.False(off.IsCompleted, "the first run's late report cut the second run");
        Assert.True(device.Flash.IsPowered);
        Assert.Equal(VirtualDeviceState.Bootloader, device.State);
        // The current run's own report still takes the device down.
        device.Firmware.Bootloader.BackgroundPowerLost!();
        await off.WaitAsync(HangGuard);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task CutPowerAsync_tears_the_flash_operation_in_progress_and_answers_nothing_more()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        VirtualDeviceOptions options = new() { TimeProvider = time, HeartbeatInterval = null, PublishTelemetry = false };
        var profile = Profile(5);
        await using var device = new VirtualDevice(new Csa.Simulator.Firmware.DeviceProfile
        {
            MemoryMap = profile.MemoryMap,
            Uid = profile.Uid,
            Authentication = profile.Authentication,
            FlashTiming = FlashTimingProfile.Typical,
        }, options);
        Provision(device);
        await device.PowerOnAsync();

        // An erase takes simulated time; with the clock stopped it stays in progress until the cut.
        Task erase = device.Flash.EraseSectorAsync(device.Profile.MemoryMap.ApplicationData.FirstSector);
        Assert.True(device.Flash.IsBusy);
        await device.CutPowerAsync();
        await Assert.ThrowsAsync<PowerLossException>(() => erase.WaitAsync(HangGuard));
        Assert.Equal(VirtualDeviceState.Off, device.State);
        Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync());
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Bytes_sent_to_a_device_that_is_off_are_lost_and_a_power_cycle_loses_the_address()
    {
        await using VirtualDevice device = CreateDevice();
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            await device.PowerOffAsync();
            Assert.Equal(VirtualDeviceState.Off, device.State);
            var once = new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(300), MaxAttempts = 1 };
            using var client = new DeviceClient(host.Client, address);
            await Assert.ThrowsAsync<RpcTimeoutException>(() => client.GetIdentityAsync(new GetIdentityRequest(), once).WaitAsync(HangGuard));

            // The wire is still plugged in: power on, and the device is there again, unassigned.
            await device.PowerOnAsync();
            await Assert.ThrowsAsync<RpcTimeoutException>(() => client.GetIdentityAsync(new GetIdentityRequest(), once).WaitAsync(HangGuard));
            IReadOnlyList<ChainMember> members = await host.EnumerateAsync();
            Assert.Equal(address, members[0].Address);
            Assert.Equal(device.Profile.Uid.ToArray(), (await client.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    public void The_blocking_forms_drive_the_same_power_and_reset_sequence()
    {
        using VirtualDevice device = CreateDevice(11);
        Assert.Equal(VirtualDeviceState.Application, device.PowerOn());
        Assert.Equal(VirtualDeviceState.Bootloader, device.Reset(ResetMode.Bootloader));
        device.CutPower();
        Assert.Equal(VirtualDeviceState.Off, device.State);
        Assert.Equal(VirtualDeviceState.Bootloader, device.PowerCycle());
        device.PowerOff();
        Assert.Equal("powered off", device.StateReason);
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Power_cuts_and_cycles_under_continuous_host_traffic_never_hang_and_the_device_always_comes_back()
    {
        await using VirtualDevice device = CreateDevice(12);
        (TestHost host, NodeAddress address) = await ConnectAsync(device);
        await using (host)
        {
            using var stop = new CancellationTokenSource();
            var once = new RpcCallOptions { Timeout = TimeSpan.FromMilliseconds(100), MaxAttempts = 1 };
            int answered = 0;
            Task traffic = Task.Run(async () =>
            {
                using var client = new DeviceClient(host.Client, address);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await client.GetIdentityAsync(new GetIdentityRequest(), once);
                        Interlocked.Increment(ref answered);
                    }
                    catch (RpcTimeoutException)
                    {
                        // The device was off, or not enumerated yet.
                    }
                }
            });

            for (int i = 0; i < 4; i++)
            {
                if (i % 2 == 0)
                    await device.CutPowerAsync().WaitAsync(HangGuard);
                else
                    await device.PowerOffAsync().WaitAsync(HangGuard);
                Assert.Equal(VirtualDeviceState.Application, await device.PowerOnAsync().WaitAsync(HangGuard));
                Assert.Equal(address, Assert.Single(await host.EnumerateAsync()).Address);
            }
            await stop.CancelAsync();
            await traffic.WaitAsync(HangGuard);
            Assert.True(answered > 0);

            using var final = new DeviceClient(host.Client, address);
            Assert.Equal(device.Profile.Uid.ToArray(), (await final.GetIdentityAsync().WaitAsync(HangGuard)).Uid);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task A_blank_device_is_bricked_powered_but_silent()
    {
        await using var device = new VirtualDevice(Profile(9), new VirtualDeviceOptions { HeartbeatInterval = null });
        (InMemoryTransport hostEnd, InMemoryTransport deviceEnd) = InMemoryTransport.CreatePair("blank");
        device.AttachUpstream(deviceEnd);
        await using TestHost host = TestHost.Create();
        host.Add(hostEnd);
        Assert.Equal(VirtualDeviceState.Bricked, await device.PowerOnAsync());
        Assert.Null(device.Address);
        Assert.Empty(await host.EnumerateAsync());

        // A production programmer makes it a device.
        Provision(device);
        Assert.Equal(VirtualDeviceState.Application, await device.PowerCycleAsync());
        Assert.Single(await host.EnumerateAsync());
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task The_flash_file_carries_firmware_and_a_persisted_bootloader_request_across_a_dispose_and_recreate()
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-device-{Guid.NewGuid():N}.flash");
        try
        {
            var options = new VirtualDeviceOptions { FlashFilePath = path, HeartbeatInterval = null, PublishTelemetry = false };
            await using (var first = new VirtualDevice(Profile(3), options))
            {
                Provision(first);
                Assert.Equal(VirtualDeviceState.Application, await first.PowerOnAsync());
                Assert.Equal(VirtualDeviceState.Bootloader, await first.ResetAsync(ResetMode.Bootloader));
            }
            Assert.True(File.Exists(path));

            await using (var second = new VirtualDevice(Profile(3), options))
            {
                Assert.Equal(VirtualDeviceState.Bootloader, await second.PowerOnAsync());
                Assert.Equal(StayReason.Requested, second.Firmware.LastBoot!.StayReason);
                Assert.Equal(ApplicationVersion, second.Firmware.Inventory[RegionKind.Application].Version);
            }

            // The file belongs to one chip: another unique id is refused.
            ArgumentException wrongChip = Assert.Throws<ArgumentException>(() => new VirtualDevice(Profile(4), options));
            Assert.Contains("unique id", wrongChip.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

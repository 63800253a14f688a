using Csa.Rpc.Device;
using System.Collections.Concurrent;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// The round trips around the transfer (docs/updates.md section 3.1): a device that ran its application at the first
/// contact gets the first window of writes right behind BeginUpdate, before its answer; a device found in its bootloader
/// (an update may be resumed) gets them after it. A refused BeginUpdate is reported as itself, and the writes behind it
/// leave the flash as it was; a power cut right after it recovers; the confirmation after the restart still catches a
/// device that came back in its bootloader or at another version.
/// </summary>
public sealed class WritesBehindBeginTests
{
    /// <summary>What the host sent to the device, in order: the bootloader commands among its frames.</summary>
    private sealed class SentCommands
    {
        private readonly ConcurrentQueue<string> _sent = new();

        public bool Observe(byte[] frame)
        {
            if (BootloaderCommandOf(frame) is { } command)
                _sent.Enqueue(command);
            return false; // nothing is dropped
        }

        public IReadOnlyList<string> Commands => [.. _sent];

        /// <summary>The Write frames sent after the <paramref name="nth"/> BeginUpdate (1-based) and before the next one.</summary>
        public int WritesAfterBegin(int nth)
        {
            int begins = 0;
            int writes = 0;
            foreach (string command in Commands)
            {
                if (command == "BeginUpdate" && ++begins > nth)
                    break;
                if (begins == nth && command == "Write")
                    writes++;
            }
            return writes;
        }
    }

    /// <summary>The command of a request to the Bootloader interface (BeginUpdate, Write, FinishUpdate), else null.</summary>
    private static string? BootloaderCommandOf(byte[] frame) => RpcFrames.CommandOf(frame, BootloaderInterface.Id) switch
    {
        BootloaderInterface.Commands.BeginUpdate => "BeginUpdate",
        BootloaderInterface.Commands.Write => "Write",
        BootloaderInterface.Commands.FinishUpdate => "FinishUpdate",
        _ => null,
    };

    /// <summary>Device.Reset with mode Normal (0): the restart into the new application.</summary>
    private static bool IsResetIntoApplication(byte[] frame) =>
        RpcFrames.IsCommand(frame, DeviceInterface.Id, DeviceInterface.Commands.Reset) && RpcFrames.Field(frame, 0) == (byte)ResetMode.Normal;

    public static TheoryData<string> Refusals() => ["downgrade", "bad-signature", "bound-to-another-device"];

    private static (FirmwareImage Image, uint DeviceCounter, BootloaderError Expected) Refused(string name, DeviceProfile profile) => name switch
    {
        "downgrade" => (DeviceKit.App(profile, DeviceKit.V2, size: 30_000, counter: 2), 5, BootloaderError.SecurityCounterTooLow),
        "bad-signature" => (DeviceKit.WithTamperedManifest(DeviceKit.App(profile, DeviceKit.V2, size: 30_000, counter: 2)), 1, BootloaderError.BadSignature),
        "bound-to-another-device" => (DeviceKit.Image(profile, RegionKind.Application, DeviceKit.V2, size: 30_000, counter: 2,
            tweak: s => s.BoundDevices.Add(DeviceKit.UidOf(99))), 1, BootloaderError.NotBoundToThisDevice),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    [Trait("Requirement", "REQ-AUTH-FW")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    [Trait("Threat", "THREAT.IMG.EXPIRED")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task A_refused_BeginUpdate_with_writes_behind_it_reports_its_own_error_and_leaves_the_flash_byte_for_byte(string name)
    {
        DeviceProfile profile = DeviceKit.Profile(40);
        (FirmwareImage image, uint deviceCounter, BootloaderError expected) = Refused(name, profile);
        // The device refuses (the host's pre-check is off), so BeginUpdate and the writes behind it reach it.
        UpdateOptions options = Rig.FastOptions() with { LocalPreCheck = false, MaxResumeAttempts = 0 };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile, applicationCounter: deviceCounter), options);
        VirtualDevice device = rig.Virtual[0];
        var sent = new SentCommands();
        rig.DropFromHost(0, sent.Observe);
        byte[] application = DeviceKit.ReadRegion(device, RegionKind.Application);
        byte[] copyA = DeviceKit.ReadRegion(device, RegionKind.BootloaderA);
        byte[] copyB = DeviceKit.ReadRegion(device, RegionKind.BootloaderB);
        long erases = device.Flash.Statistics.SectorErases;
        using CancellationTokenSource guard = Rig.Guard();

        Exception thrown = await Record.ExceptionAsync(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token));

        var e = thrown as UpdateRejectedException ?? throw new Xunit.Sdk.XunitException($"Expected BeginUpdate's refusal; got {thrown}");
        Assert.Equal(expected, e.DeviceError);
        Assert.False(e.RejectedLocally);
        // The writes did go out behind BeginUpdate (one window of them), and changed nothing.
        Assert.Equal(1, sent.Commands.Count(c => c == "BeginUpdate"));
        // (At most the receive buffers: the RPC client's window holds BeginUpdate and the bootloader's read too, and the
        // writes still waiting for it when the refusal came were never sent.)
        Assert.InRange(sent.WritesAfterBegin(1), 1, (int)rig.Devices[0].ReceiveBuffers);
        Assert.DoesNotContain("FinishUpdate", sent.Commands);
        Assert.Equal(erases, device.Flash.Statistics.SectorErases);
        Assert.True(application.AsSpan().SequenceEqual(DeviceKit.ReadRegion(device, RegionKind.Application)), "the application region changed");
        Assert.True(copyA.AsSpan().SequenceEqual(DeviceKit.ReadRegion(device, RegionKind.BootloaderA)), "bootloader copy A changed");
        Assert.True(copyB.AsSpan().SequenceEqual(DeviceKit.ReadRegion(device, RegionKind.BootloaderB)), "bootloader copy B changed");
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(UpdatePhase.Idle, inventory.UpdatePhase);
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(DeviceKit.V1, inventory[RegionKind.Application].Version);
        // Refused before anything was written: the device runs its application again.
        Assert.True(e.ApplicationRestarted, e.Message);
        Assert.Equal(VirtualDeviceState.Application, device.State);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Writes_follow_BeginUpdate_unanswered_only_when_the_device_ran_its_application(bool applicationRuns)
    {
        // The first BeginUpdate frame is lost: the RPC layer sends it again after its timeout. Writes between the two
        // copies went out without waiting for the answer; a device found in its bootloader (whose update might be
        // resumed: BeginUpdate says where) gets none before the answer, as before.
        DeviceProfile profile = DeviceKit.Profile(41);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile, withApplication: applicationRuns), Rig.FastOptions());
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 30_000, counter: 2);
        var sent = new SentCommands();
        int begins = 0;
        rig.DropFromHost(0, frame => sent.Observe(frame) || (BootloaderCommandOf(frame) == "BeginUpdate" && Interlocked.Increment(ref begins) == 1));
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        Assert.True(sent.Commands.Count(c => c == "BeginUpdate") >= 2, string.Join(", ", sent.Commands));
        if (applicationRuns)
            Assert.True(sent.WritesAfterBegin(1) >= 1, $"no write went out behind the unanswered BeginUpdate: {string.Join(", ", sent.Commands)}");
        else
            Assert.Equal(0, sent.WritesAfterBegin(1));
        DeviceKit.AssertNoFlashRuleViolated(device, applicationRuns ? "writes behind a lost BeginUpdate" : "bootloader first");
    }

    [Theory]
    [InlineData((ushort)1024, (byte)4)]
    [InlineData((ushort)2048, (byte)6)]
    [InlineData((ushort)4096, (byte)3)]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task The_writes_behind_BeginUpdate_are_sized_as_its_answer_sizes_them_so_no_block_is_sent_twice(ushort frame, byte buffers)
    {
        // The early writes are sized before BeginUpdate answers (frame, packet size, the documented alignment and largest
        // write); when the answer agrees, they are the transfer's first writes and nothing is written again.
        // (The profile's packets take 4096-byte writes; the host's frames limit the path to 1024 bytes unless it allows more.)
        DeviceProfile profile = DeviceKit.Profile(44, maxFrameSize: frame, receiveBuffers: buffers);
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Rig.FastOptions());
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 40_000, counter: 2);
        var offsets = new ConcurrentQueue<uint>();
        var sent = new SentCommands();
        rig.DropFromHost(0, f =>
        {
            if (BootloaderCommandOf(f) == "Write")
                offsets.Enqueue(RpcFrames.U32(f, 0)); // the Write request's offset
            return sent.Observe(f);
        });
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(0, result.ResumeCount);
        Assert.True(sent.WritesAfterBegin(1) >= 1);
        uint[] all = [.. offsets];
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.Equal(image.Payload.ToArray(), device.Flash.ReadRaw(profile.MemoryMap.Application.Address, image.Payload.Length));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task A_power_cut_right_after_BeginUpdate_with_writes_behind_it_recovers()
    {
        DeviceProfile profile = DeviceKit.Profile(42);
        UpdateOptions options = Rig.FastOptions();
        options = options with { Retry = options.Retry with { Attempts = 2 } };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), options);
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 60_000, counter: 2);
        using var supply = new PowerSupply(device);
        var sent = new SentCommands();
        int cut = 0;
        rig.DropFromHost(0, frame =>
        {
            sent.Observe(frame);
            // The first write behind the first BeginUpdate: the power goes before the device takes it.
            if (BootloaderCommandOf(frame) == "Write" && Interlocked.Exchange(ref cut, 1) == 0)
            {
                _ = device.CutPowerAsync();
                return true;
            }
            return false;
        });
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(1, Volatile.Read(ref cut));
        Assert.True(device.Flash.Statistics.PowerCuts >= 1);
        Assert.True(result.ResumeCount >= 1, $"{result.ResumeCount} resumes");
        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.Equal(VirtualDeviceState.Application, device.State);
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(DeviceKit.V2, inventory[RegionKind.Application].Version);
        Assert.Equal(image.Payload.ToArray(), device.Flash.ReadRaw(profile.MemoryMap.Application.Address, image.Payload.Length));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("Requirement", "REQ-UPD-APP")]
    public async Task The_confirmation_catches_a_device_that_came_back_in_its_bootloader_or_at_another_version(bool anotherVersion)
    {
        // Between the verified commit and the restart the application region is made to hold something else: an image
        // of another version (the device starts it), or one whose payload fails its start-up check (the bootloader stays).
        // Only what the device reports after its restart can tell: the updater must not take its announcement for the new
        // application at the installed version.
        DeviceProfile profile = DeviceKit.Profile(43);
        UpdateOptions options = Rig.FastOptions() with { RestartTimeout = TimeSpan.FromSeconds(3), MaxResumeAttempts = 0 };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), options);
        VirtualDevice device = rig.Virtual[0];
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 30_000, counter: 2);
        FirmwareImage swapped = anotherVersion
            ? DeviceKit.App(profile, DeviceKit.V3, size: 30_000, counter: 2)
            : DeviceKit.WithTamperedPayload(image);
        int swaps = 0;
        rig.DropFromHost(0, frame =>
        {
            if (IsResetIntoApplication(frame) && device.Firmware.Inventory[RegionKind.Application] is { State: RegionState.Valid } committed && committed.Version == DeviceKit.V2
                && Interlocked.Exchange(ref swaps, 1) == 0)
                FactoryProgrammer.Install(profile, device.Flash, RegionKind.Application, swapped);
            return false;
        });
        using CancellationTokenSource guard = Rig.Guard();

        Exception? thrown = await Record.ExceptionAsync(() => rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token));

        Assert.Equal(1, Volatile.Read(ref swaps));
        var e = thrown as UpdateFailedException ?? throw new Xunit.Sdk.XunitException(
            $"Expected a failed confirmation; got {thrown?.ToString() ?? "success"}; the device runs {device.State}, application {device.Firmware.Inventory[RegionKind.Application].Version}");
        Assert.Equal(UpdateStage.Confirming, e.Stage);
        if (anotherVersion)
        {
            Assert.Contains(DeviceKit.V3.ToString(), e.Message);
            Assert.Equal(VirtualDeviceState.Application, device.State);
        }
        else
        {
            Assert.Contains("bootloader", e.Message);
            Assert.Equal(VirtualDeviceState.Bootloader, device.State);
        }
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Hosting;
using Csa.Testing;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Many devices at once with one transfer for a shared payload (docs/updates.md section 10a): a group address, one Write
/// per block for all members, repair by missing-block bitmaps, and members that leave without holding up the others.
/// Every device still checks and commits exactly what a unicast update gives it, so each test also checks what each
/// device holds and runs.
/// </summary>
public sealed class MulticastTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Size = 60_000;

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_of_four_takes_one_payload_sent_once_and_every_device_runs_the_new_image()
    {
        DeviceProfile[] profiles = Profiles(60, 4);
        await using Rig rig = await Rig.ChainAsync(4, i => DeviceKit.Device(profiles[i]));
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        long sentBefore = rig.Network.Node.Links[0].Counters.BytesSent;
        var log = new ProgressLog();
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, progress: log, cancellationToken: guard.Token);

        AssertAllUpdated(rig, rows, image, multicast: rig.Devices.Select(_ => true));
        long sent = rig.Network.Node.Links[0].Counters.BytesSent - sentBefore;
        Assert.InRange(sent, image.Payload.Length, 2 * image.Payload.Length); // once, with framing and every device's own commands (unicast: 4 times)
        // Progress per device: each climbs to the whole payload and ends Done.
        foreach (DeviceInfo device in rig.Devices)
        {
            UpdateProgress[] mine = [.. log.Reports.Where(r => r.Device == device.Uid)];
            Assert.Contains(mine, r => r.Stage == UpdateStage.Transferring && r.BytesDone > 0 && r.BytesDone < Size);
            Assert.Equal(UpdateStage.Done, mine[^1].Stage);
            Assert.Equal(Size, mine[^1].BytesDone);
        }
    }

    /// <summary>
    /// Eight devices, each forwarding cut-through (the virtual device's default, protocol.md 6.3.1) or store-and-forward
    /// (as the C device does): the group transfer and every device's own commands cross up to seven forwarders either way.
    /// </summary>
    [Theory]
    [InlineData(Csa.DataLink.ForwardingMode.CutThrough)]
    [InlineData(Csa.DataLink.ForwardingMode.StoreAndForward)]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_of_eight_takes_one_payload_whichever_way_its_devices_forward(Csa.DataLink.ForwardingMode forwarding)
    {
        DeviceProfile[] profiles = Enumerable.Range(80, 8).Select(i => DeviceKit.Profile(i, forwarding: forwarding)).ToArray();
        var events = new UpdaterEvents { MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Debug };
        await using Rig rig = await Rig.ChainAsync(8, i => DeviceKit.Device(profiles[i]), Rig.FastOptions() with { LoggerFactory = events });
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        long sentBefore = rig.Network.Node.Links[0].Counters.BytesSent;
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        Assert.All(rig.Virtual, d => Assert.Equal(forwarding, d.Profile.Forwarding));
        AssertAllUpdated(rig, rows, image, multicast: rig.Devices.Select(_ => true));
        AssertProgrammedOnce(rig.Virtual, image);
        long sent = rig.Network.Node.Links[0].Counters.BytesSent - sentBefore;
        output.WriteLine(events.ToString());
        output.WriteLine($"sent {sent}");
        Assert.InRange(sent, image.Payload.Length, 2 * image.Payload.Length); // the payload crossed the chain once
        // The window counts on a frame on each hop in front of a member; these links are instant, so frames reach the
        // far members sooner and some answer Busy (event 4022). Each member is over-sent at most once: its window then
        // falls back to its receive buffers, so the Busy answers stay below one per hop in front of each member.
        int hopsInFront = Enumerable.Range(0, 8).Sum();
        Assert.InRange(events.Of(4022).Count(), 0, hopsInFront);
    }

    /// <summary>
    /// Members that join while the stream runs (UpdateOptions.MulticastFormationTimeout zero: the transfer starts with the
    /// first member ready) take the rest of it and get what they missed in the repair; their answers are counted from
    /// the moment they join. A member joining a running stream once found no acknowledgement map for its answers, and
    /// the IndexOutOfRange ended the transfer for every member.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Members_that_join_a_running_stream_take_the_rest_and_the_repair()
    {
        DeviceProfile[] profiles = Profiles(72, 4);
        var line = new EmulatedChannelOptions { BaudRate = 1_000_000, Latency = TimeSpan.FromMilliseconds(1) };
        var events = new UpdaterEvents();
        UpdateOptions options = Rig.FastOptions() with { LoggerFactory = events, MulticastFormationTimeout = TimeSpan.Zero };
        await using Rig rig = await Rig.ChainOverAsync(4, i => DeviceKit.Device(profiles[i]), VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(line)), options);
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        foreach (InstallResult row in rows)
            Assert.True(row.Succeeded, $"{row.Device}: {row.FailureReason}");
        Assert.Empty(events.Of(4018)); // nobody left the group
        int atStart = int.Parse(System.Text.RegularExpressions.Regex.Match(Assert.Single(events.Of(4017)), @": (\d+) device\(s\) take").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        int inGroup = rows.Count(r => r.Result!.Multicast);
        Assert.True(inGroup > atStart, $"{atStart} member(s) started the stream and {inGroup} finished in the group: none joined it running");
        AssertAllUpdated(rig, rows, image, multicast: rows.Select(r => r.Result!.Multicast));
        AssertProgrammedOnce(rig.Virtual, image);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Loss_on_one_hop_only_is_repaired_for_the_devices_behind_it_and_nothing_is_programmed_twice()
    {
        DeviceProfile[] profiles = Profiles(64, 4);
        // Cable 2 runs from device 1 to device 2: devices 2 and 3 lose 8 % of the frames (writes and answers) on it.
        var lossy = new EmulatedChannelOptions { BaudRate = 4_000_000, FrameLossProbability = 0.08 };
        var events = new UpdaterEvents();
        UpdateOptions options = Rig.FastOptions();
        options = options with { LoggerFactory = events };
        await using Rig rig = await Rig.ChainOverAsync(4, i => DeviceKit.Device(profiles[i]), OneHop(2, lossy, seed: 11), options);
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        AssertAllUpdated(rig, rows, image, multicast: rig.Devices.Select(_ => true));
        AssertProgrammedOnce(rig.Virtual, image);
        // The stream went on; what the far devices lost came in the repair (GroupRepair, event 4019), and nobody was left behind.
        Assert.NotEmpty(events.Of(4019));
        Assert.Empty(events.Of(4018));
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Duplicated_and_reordered_frames_on_the_chain_change_nothing()
    {
        DeviceProfile[] profiles = Profiles(68, 3);
        var impaired = new EmulatedChannelOptions { BaudRate = 4_000_000, FrameDuplicationProbability = 0.10, FrameReorderProbability = 0.05 };
        await using Rig rig = await Rig.ChainOverAsync(3, i => DeviceKit.Device(profiles[i]), OneHop(1, impaired, seed: 5));
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        AssertAllUpdated(rig, rows, image, multicast: rig.Devices.Select(_ => true));
        AssertProgrammedOnce(rig.Virtual, image);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_member_that_loses_power_mid_transfer_does_not_hold_up_the_others_and_finishes_by_itself()
    {
        DeviceProfile[] profiles = Profiles(72, 4);
        var events = new UpdaterEvents();
        UpdateOptions options = ResumingOptions();
        options = options with { LoggerFactory = events };
        await using Rig rig = await Rig.ChainAsync(4, i => DeviceKit.Device(profiles[i]), options);
        VirtualDevice cut = rig.Virtual[3];
        using var supply = new PowerSupply(cut);
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: 120_000, counter: 2);
        int fired = 0;
        var log = new ProgressLog(p =>
        {
            if (p.Device == cut.Profile.Uid && p.Stage == UpdateStage.Transferring && p.BytesDone >= 40_000 && Interlocked.Exchange(ref fired, 1) == 0)
                _ = cut.CutPowerAsync();
        });
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, progress: log, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        Assert.Equal(1, Volatile.Read(ref fired));
        Assert.True(supply.Restorations >= 1);
        AssertAllUpdated(rig, rows, image, multicast: [true, true, true, false]);
        Assert.True(rows[3].Result!.ResumeCount >= 1);
        Assert.True(rows[3].Result!.BytesResumed > 0, "it resumed from what it held, by itself");
        Assert.All(rows.Take(3), r => Assert.Equal(0, r.Result!.ResumeCount));
        Assert.Contains(events.Of(4018), e => e.Contains(cut.Profile.Uid.ToString(), StringComparison.Ordinal)); // left behind, not waited for
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Each_member_gets_an_image_bound_to_it_and_one_that_gets_another_s_refuses_while_the_others_finish()
    {
        DeviceProfile[] profiles = Profiles(76, 4, requireBinding: true);
        UpdateOptions options = Rig.FastOptions();
        options = options with { MulticastFormationTimeout = TimeSpan.FromMinutes(10) }; // the refusal must not be waited for
        await using Rig rig = await Rig.ChainAsync(4, i => DeviceKit.Device(profiles[i]), options);
        DeviceUid refused = profiles[2].Uid;
        FirmwareImage ImageFor(DeviceInfo device) =>
            DeviceKit.App(device.Uid == refused ? profiles[0] : profiles.Single(p => p.Uid == device.Uid), DeviceKit.V2, size: Size, counter: 2, bind: true);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, (d, _) => Task.FromResult(ImageFor(d)), cancellationToken: guard.Token);

        Assert.False(rows[2].Succeeded);
        Assert.Equal(ImageRejection.NotBoundToThisDevice, Assert.IsType<UpdateRejectedException>(rows[2].Error).LocalRejection);
        Assert.Equal(DeviceKit.V1, rig.Virtual[2].Firmware.Inventory[RegionKind.Application].Version);
        foreach (int i in new[] { 0, 1, 3 })
        {
            Assert.True(rows[i].Succeeded, rows[i].FailureReason);
            Assert.True(rows[i].Result!.Multicast);
            Assert.Equal(DeviceKit.V2, rig.Virtual[i].Firmware.Inventory[RegionKind.Application].Version);
        }
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task A_member_whose_bootloader_refuses_the_image_at_BeginUpdate_does_not_hold_up_the_others()
    {
        DeviceProfile[] profiles = Profiles(80, 3);
        UpdateOptions options = Rig.FastOptions();
        options = options with { LocalPreCheck = false }; // the device itself refuses
        options = options with { MulticastFormationTimeout = TimeSpan.FromMinutes(10) };
        await using Rig rig = await Rig.ChainAsync(3, i => DeviceKit.Device(profiles[i], applicationCounter: i == 1 ? 5u : 1u), options);
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2); // below device 1's counter 5
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        var rejection = Assert.IsType<UpdateRejectedException>(rows[1].Error);
        Assert.Equal(BootloaderError.SecurityCounterTooLow, rejection.DeviceError);
        Assert.True(rows[0].Succeeded && rows[2].Succeeded, $"{rows[0].FailureReason} {rows[2].FailureReason}");
        Assert.True(rows[0].Result!.Multicast && rows[2].Result!.Multicast);
        Assert.Equal(DeviceKit.V1, rig.Virtual[1].Firmware.Inventory[RegionKind.Application].Version);
        Assert.Equal(VirtualDeviceState.Application, rig.Virtual[1].State); // the refusal erased nothing; it runs again
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Encrypted_images_share_one_ciphertext_with_the_content_key_wrapped_for_each_member()
    {
        DeviceProfile[] profiles = Profiles(84, 4, requireEncryption: true);
        await using Rig rig = await Rig.ChainAsync(4, i => DeviceKit.Device(profiles[i]));
        // Devices 0 and 1: one image for both (one manifest, a key block with a key for each). Devices 2 and 3: an image
        // each, bound to it, with its own manifest and wrapped key, over the same ciphertext.
        FirmwareImage both = await Build(profiles[0], new AesCtrEciesPayloadEncryptor(), bindTo: null, profiles[0], profiles[1]);
        using var shared = new SharedCiphertextEncryptor(new AesCtrEciesPayloadEncryptor());
        FirmwareImage forTwo = await Build(profiles[2], shared, bindTo: profiles[2].Uid, profiles[2]);
        FirmwareImage forThree = await Build(profiles[3], shared, bindTo: profiles[3].Uid, profiles[3]);
        Assert.True(forTwo.Payload.Span.SequenceEqual(forThree.Payload.Span));
        Assert.False(forTwo.ManifestBytes.Span.SequenceEqual(forThree.ManifestBytes.Span));
        Assert.Null(forTwo.FindWrappedKey(profiles[3].Uid));
        FirmwareImage[] images = [both, both, forTwo, forThree];
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices,
            (d, _) => Task.FromResult(images[rig.Devices.ToList().IndexOf(d)]), cancellationToken: guard.Token);

        for (int i = 0; i < 4; i++)
        {
            Assert.True(rows[i].Succeeded, rows[i].FailureReason);
            Assert.True(rows[i].Result!.Multicast);
            // The flash holds the plaintext, decrypted by each device with its own unwrapped key.
            byte[] stored = rig.Virtual[i].Flash.ReadRaw(profiles[i].MemoryMap.Application.Address, Size);
            Assert.Equal(Plaintext, stored);
        }
        Assert.False(both.Payload.Span.SequenceEqual(Plaintext));
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task A_device_without_the_feature_is_updated_by_itself_beside_the_group()
    {
        DeviceProfile[] profiles = Profiles(88, 3);
        profiles[1] = WithoutMulticast(profiles[1]);
        await using Rig rig = await Rig.ChainAsync(3, i => DeviceKit.Device(profiles[i]));
        Assert.False(rig.Devices[1].Rules!.BootloaderFeatures.HasFlag(Csa.Rpc.Device.FeatureFlags.Multicast));
        Assert.True(rig.Devices[0].Rules!.BootloaderFeatures.HasFlag(Csa.Rpc.Device.FeatureFlags.Multicast));
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        AssertAllUpdated(rig, rows, image, multicast: [true, false, true]);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    public async Task With_multicast_off_every_device_is_written_by_itself()
    {
        DeviceProfile[] profiles = Profiles(92, 2);
        UpdateOptions options = Rig.FastOptions();
        options = options with { Multicast = false };
        await using Rig rig = await Rig.ChainAsync(2, i => DeviceKit.Device(profiles[i]), options);
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: Size, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        AssertAllUpdated(rig, rows, image, multicast: [false, false]);
    }

    private static readonly byte[] Plaintext = DeviceKit.Payload(Size, seed: 0x5EED);

    private static DeviceProfile[] Profiles(int first, int count, bool requireBinding = false, bool requireEncryption = false) =>
        Enumerable.Range(first, count).Select(i => DeviceKit.Profile(i, requireBinding: requireBinding, requireEncryption: requireEncryption)).ToArray();

    /// <summary>The profile of a device whose bootloader was built without the Multicast feature.</summary>
    internal static DeviceProfile WithoutMulticast(DeviceProfile p) => new()
    {
        MemoryMap = p.MemoryMap,
        Uid = p.Uid,
        ProductName = p.ProductName,
        TrustedSigningKeys = p.TrustedSigningKeys,
        IdentityKey = p.IdentityKey,
        DowngradePrevention = p.DowngradePrevention,
        FlashTiming = p.FlashTiming,
        MaxFrameSize = p.MaxFrameSize,
        ReceiveBuffers = p.ReceiveBuffers,
        Multicast = false,
    };

    private static UpdateOptions ResumingOptions()
    {
        UpdateOptions options = Rig.FastOptions();
        options = options with { ResumeDelay = TimeSpan.FromMilliseconds(100) };
        return options;
    }

    /// <summary>In-memory cables, except cable <paramref name="impaired"/>: an emulated line with <paramref name="channel"/>'s impairments both ways.</summary>
    private static VirtualLinkFactory OneHop(int impaired, EmulatedChannelOptions channel, int seed)
    {
        VirtualLinkFactory memory = VirtualLinks.InMemory("mc");
        VirtualLinkFactory emulated = VirtualLinks.Emulated(EmulatedLinkOptions.Symmetric(channel, seed));
        return index => index == impaired ? emulated(index) : memory(index);
    }

    private static Task<FirmwareImage> Build(DeviceProfile profile, IPayloadEncryptor encryptor, DeviceUid? bindTo, params DeviceProfile[] recipients)
    {
        var settings = new ImageSettings
        {
            Kind = ImageKind.Application,
            VendorId = profile.VendorId,
            DeviceClassId = profile.DeviceClassId,
            Version = DeviceKit.V2,
            SecurityCounter = 2,
        };
        if (bindTo is { } uid)
            settings.BoundDevices.Add(uid);
        FirmwareSource source = FirmwareSource.FromBinary(Plaintext, profile.MemoryMap.Application.Address);
        return new ImageBuilder(settings).BuildAsync(source, DeviceKit.Signer, encryptor,
            recipients.Select(r => new ImageRecipient(r.Uid, r.IdentityKey!.PublicKey.ToUncompressedPoint())).ToArray());
    }

    private static void AssertAllUpdated(Rig rig, IReadOnlyList<InstallResult> rows, FirmwareImage image, IEnumerable<bool> multicast)
    {
        Assert.Equal(rig.Devices.Select(d => d.Uid), rows.Select(r => r.Device));
        bool[] expected = [.. multicast];
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.True(rows[i].Succeeded, rows[i].FailureReason);
            Assert.Equal(DeviceKit.V2, rows[i].VersionAfter);
            Assert.Equal(expected[i], rows[i].Result!.Multicast);
            VirtualDevice device = rig.Virtual[i];
            Assert.Equal(VirtualDeviceState.Application, device.State);
            Assert.Equal(DeviceKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
            Assert.Equal(image.Payload.ToArray(), device.Flash.ReadRaw(device.Profile.MemoryMap.Application.Address, image.Payload.Length));
        }
    }

    /// <summary>Every 16-byte block of each device was programmed once: resends and duplicates were compared, never programmed again.</summary>
    private static void AssertProgrammedOnce(IEnumerable<VirtualDevice> devices, FirmwareImage image)
    {
        long blocks = (image.Payload.Length + 15) / 16;
        foreach (VirtualDevice device in devices)
            Assert.Equal(blocks, device.Firmware.Bootloader.ProgrammedBlocks);
    }
}

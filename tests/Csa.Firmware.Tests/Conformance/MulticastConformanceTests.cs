using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Crypto;
using Csa.DataLink.Transports;
using Csa.Rpc.Device;
using Csa.Simulator.Flash;
using Csa.Testing;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// One transfer for many devices (docs/updates.md section 10a) on daisy chains that mix the C# virtual device and the C
/// device: the payload written once to a group, each member's holes repaired from its GetMissingBlocks answer, each
/// member's own BeginUpdate and FinishUpdate. Every member must end with the new image in flash, checked and running,
/// whatever the chain did to the frames on the way, and a member that leaves (a power cut, a refusal) must not hold up
/// the others. Both implementations are programmed on strict flash, so a unit programmed twice fails the update.
/// </summary>
[Trait("Suite", "Conformance")]
public sealed class MulticastConformanceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Size = 60_000;

    private static readonly DeviceImplementation C = DeviceImplementation.C;
    private static readonly DeviceImplementation CSharp = DeviceImplementation.CSharp;

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Loss_on_one_hop_only_is_repaired_for_the_members_behind_it()
    {
        // Hop 2 joins the C device (member 1) to the C# device (member 2): members 2 and 3 (a C device) lose 8 % of the
        // frames there, both ways.
        var lossy = new EmulatedChannelOptions { BaudRate = 4_000_000, FrameLossProbability = 0.08 };
        ChainMember[] members = Members(FlashFamily.Stm32F4, 100, CSharp, C, CSharp, C);
        var events = new UpdaterEvents();
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), events, impairedHop: 2, impairment: lossy, seed: 11, cancellationToken: guard.Token);
        FirmwareImage image = Image(members[0].Product, RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());
        output.WriteLine($"down: {chain.ImpairedLink!.AToBCounters}; up: {chain.ImpairedLink.BToACounters}");

        // Every member holds and runs the new image; the members in front of the lossy hop never left the transfer.
        // Behind it, a member's holes came in the repair rounds, sent to the group and read from its GetMissingBlocks
        // answers. One whose GetMissingBlocks the line lost three times in a row leaves and finishes by itself, resuming
        // from what it took from the group: in these runs that happened now and then to one member behind the hop, a C#
        // one as often as a C one, and on a chain of C# devices alone too (the SDK's repair, not the device; reported with
        // the C device's multicast work), so the test allows it and checks the resume.
        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, true, null, null], guard.Token, mayLeave: true);
        Assert.True(chain.ImpairedLink.AToBCounters.FramesDropped + chain.ImpairedLink.BToACounters.FramesDropped > 0, "the hop lost nothing");
        Assert.NotEmpty(events.Of(4019)); // what the far members lost came in the repair
        Assert.Contains(rows.Skip(2), r => r.Result!.Multicast); // at least one member behind the hop was repaired in the group
        // One that left resumed by unicast (a resume, counted). Its BeginUpdate resumes from its contiguous prefix, which
        // is 0 when the hop had lost its first block; the host then asks GetMissingBlocks (both devices advertise
        // Multicast) and writes only the blocks it lacks, the rest counted resumed (event 4024 says how much: updates.md
        // section 5).
        Assert.All(rows.Skip(2).Where(r => !r.Result!.Multicast), r =>
        {
            Assert.True(r.Result!.ResumeCount > 0, $"{r}: it left the group without resuming");
            Assert.Contains(events.Of(4024), e => e.Contains(r.Device.ToString(), StringComparison.Ordinal));
        });
    }

    /// <summary>
    /// Members that leave the group holding blocks above a hole finish by writing only what they lack (updates.md
    /// section 5): one repair round only (<see cref="UpdateOptions.MulticastRepairRounds"/> 1), so every member that
    /// lost a write on the lossy hop is left behind after it, with whatever it holds, and resumes by unicast. Its resume
    /// asks GetMissingBlocks and counts what it holds as resumed (event 4024 says how much); the image commits and flash
    /// matches, byte for byte, on the C# and the C members alike.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Members_left_behind_with_holes_resume_by_writing_only_the_holes()
    {
        var lossy = new EmulatedChannelOptions { BaudRate = 4_000_000, FrameLossProbability = 0.08 };
        ChainMember[] members = Members(FlashFamily.Stm32L4, 150, CSharp, C, CSharp, C);
        var events = new UpdaterEvents();
        UpdateOptions options = ConformanceHost.Options() with { MulticastRepairRounds = 1, WriteChunkSize = 1024 };
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, options, events, impairedHop: 1, impairment: lossy, seed: 17, cancellationToken: guard.Token);
        FirmwareImage image = Image(members[0].Product, RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        // Any member may leave (one round ends the transfer for every member still in it, the front one too, when its
        // repair was sent in that round), so each row may be either; the test is about those that resumed with holes.
        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [null, null, null, null], guard.Token, mayLeave: true);
        var resumedWithHoles = new List<(long Prefix, long Held, long Missing)>();
        foreach (InstallResult row in rows.Where(r => !r.Result!.Multicast))
        {
            // The first resume after it left: what it held then (a later resume after a lost write asks again).
            string? holes = events.Of(4024).FirstOrDefault(e => e.Contains(row.Device.ToString(), StringComparison.Ordinal));
            if (holes is null)
                continue; // it held the whole payload when it left: BeginUpdate answered its end, nothing to ask
            var numbers = System.Text.RegularExpressions.Regex.Match(holes, @"above its (\d+)-byte prefix it holds (\d+) bytes; (\d+) bytes");
            Assert.True(numbers.Success, holes);
            (long prefix, long held, long missing) = (long.Parse(numbers.Groups[1].Value), long.Parse(numbers.Groups[2].Value), long.Parse(numbers.Groups[3].Value));
            Assert.Equal(Size, prefix + held + missing);
            // What it held counts as resumed (progress and result), never as sent.
            Assert.True(row.Result!.BytesResumed >= prefix + held, $"{row}: {holes}; resumed {row.Result.BytesResumed}");
            resumedWithHoles.Add((prefix, held, missing));
        }
        Assert.Contains(resumedWithHoles, r => r.Held > 0); // a member left with blocks above a hole, and they were not sent again
    }

    /// <summary>
    /// C devices forward cut-through (protocol.md 6.3.1): hop 1 is a paced line, so member 1 receives every frame over
    /// time and passes the group's frames on to member 2 while they arrive, block by block. The whole chain is updated
    /// by one transfer, byte for byte, so what member 1 passed on was what store-and-forward would have sent.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_of_C_devices_forwarding_cut_through_is_updated_by_multicast()
    {
        var paced = new EmulatedChannelOptions { BaudRate = 460_800 };
        ChainMember[] members = Members(FlashFamily.Stm32F4, 140, C, C, C);
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), impairedHop: 1, impairment: paced, seed: 3, cancellationToken: guard.Token);
        FirmwareImage image = Image(members[0].Product, RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);

        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, true, true], guard.Token);
        IReadOnlyDictionary<string, long> middle = await ((CDeviceUnderTest)chain.Members[1]).Process.DataLinkCountersAsync(guard.Token);
        output.WriteLine($"member 1: {string.Join(", ", middle.Select(kv => $"{kv.Key} {kv.Value}"))}");
        // The group's payload alone is Size / 4096 write frames at least, each passed on to member 2 while it arrived.
        Assert.True(middle["cut-through"] >= Size / 4096, $"member 1 passed on {middle["cut-through"]} frames cut-through");
        Assert.True(middle["cut-through"] <= middle["forwarded"]);
    }

    /// <summary>
    /// A mixed chain where every member forwards cut-through (the C# device by default, the C device by default): the C#
    /// member 0 and the C member 1 are joined by a paced line, member 1 passes on to the C# member 2 while frames arrive,
    /// and member 2 to the C member 3. Every member ends updated.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_mixed_chain_forwarding_cut_through_is_updated_by_multicast()
    {
        var paced = new EmulatedChannelOptions { BaudRate = 460_800 };
        ChainMember[] members = Members(FlashFamily.Stm32L4, 144, CSharp, C, CSharp, C);
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), impairedHop: 1, impairment: paced, seed: 4, cancellationToken: guard.Token);
        FirmwareImage image = Image(members[0].Product, RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);

        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, true, true, true], guard.Token);
        IReadOnlyDictionary<string, long> c = await ((CDeviceUnderTest)chain.Members[1]).Process.DataLinkCountersAsync(guard.Token);
        output.WriteLine($"member 1: {string.Join(", ", c.Select(kv => $"{kv.Key} {kv.Value}"))}");
        Assert.True(c["cut-through"] >= Size / 4096, $"the C member passed on {c["cut-through"]} frames cut-through");
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Duplicated_and_reordered_frames_change_nothing()
    {
        var impaired = new EmulatedChannelOptions { BaudRate = 4_000_000, FrameDuplicationProbability = 0.10, FrameReorderProbability = 0.05 };
        ChainMember[] members = Members(FlashFamily.Stm32L4, 104, C, CSharp, C);
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), impairedHop: 1, impairment: impaired, seed: 5, cancellationToken: guard.Token);
        FirmwareImage image = Image(members[0].Product, RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);

        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, true, true], guard.Token);
        Assert.True(chain.ImpairedLink!.AToBCounters.FramesDuplicated + chain.ImpairedLink.BToACounters.FramesDuplicated > 0, "the hop duplicated nothing");
        // The C# member counts its duplicates: each block programmed once (the C members' strict flash refuses a second program).
        var twin = (VirtualDeviceUnderTest)chain.Members[1];
        Assert.Equal((Size + 15) / 16, twin.Device.Firmware.Bootloader.ProgrammedBlocks);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_C_member_that_loses_power_mid_transfer_does_not_hold_up_the_others_and_finishes_by_itself()
    {
        ChainMember[] members = Members(FlashFamily.Stm32F4, 108, C, CSharp, C, C);
        var events = new UpdaterEvents();
        UpdateOptions options = ConformanceHost.Options() with { ResumeDelay = TimeSpan.FromMilliseconds(100) };
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, options, events, cancellationToken: guard.Token);
        IDeviceUnderTest cut = chain.Members[3];
        FirmwareImage image = Image(members[0].Product, RegionKind.Application, V2, size: 120_000, counter: 2);
        int fired = 0;
        var log = new ConformanceData.ProgressLog(p =>
        {
            if (p.Device == cut.Product.Uid && p.Stage == UpdateStage.Transferring && p.BytesDone >= 40_000 && Interlocked.Exchange(ref fired, 1) == 0)
                _ = cut.CutPowerAsync();
        });

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, progress: log, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        Assert.Equal(1, Volatile.Read(ref fired));
        Assert.True(cut.PowerCuts >= 1);
        // The cut is not waited for (the group must not be), and a C device's power cut is a process being killed: on a
        // loaded machine the group may have written the member's whole payload before its process went. Then it came
        // back holding all of it (multicast true), else it finished by itself (false); either way it resumed by itself.
        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, true, true, null], guard.Token, mayLeave: true);
        Assert.True(rows[3].Succeeded);
        Assert.True(rows[3].Result!.ResumeCount >= 1);
        Assert.True(rows[3].Result!.BytesResumed > 0, "it resumed from what it held, by itself");
        Assert.All(rows.Take(3), r => Assert.Equal(0, r.Result!.ResumeCount));
        if (!rows[3].Result!.Multicast)
            Assert.Contains(events.Of(4018), e => e.Contains(cut.Product.Uid.ToString(), StringComparison.Ordinal)); // left behind, not waited for
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-DOWNGRADE")]
    public async Task A_C_member_whose_bootloader_refuses_the_image_does_not_hold_up_the_others()
    {
        var products = Products(FlashFamily.Stm32L4, 112, 3);
        ChainMember[] members =
        [
            new(CSharp, products[0], Factory(products[0])),
            new(C, products[1], Factory(products[1], applicationCounter: 5)), // the image's counter 2 is below its 5
            new(C, products[2], Factory(products[2])),
        ];
        // The device itself refuses, and the refusal is not waited for; a bootloader left waiting starts its application
        // by itself after 40 s, within the test's hang guard.
        UpdateOptions options = ConformanceHost.Options(localPreCheck: false) with { MulticastFormationTimeout = TimeSpan.FromMinutes(10), EnterBootloaderWaitSeconds = 40 };
        var events = new UpdaterEvents();
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, options, events, cancellationToken: guard.Token);
        FirmwareImage image = Image(products[0], RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        var rejection = Assert.IsType<UpdateRejectedException>(rows[1].Error);
        Assert.Equal(BootloaderError.SecurityCounterTooLow, rejection.DeviceError);
        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, null, true], guard.Token);
        DeviceInfo refused = await chain.Network.FindAsync(products[1].Uid, guard.Token);
        // The refusal erased nothing, so its application runs again: restarted by the updater, or, when the restart's
        // questions lost to the group's stream on the shared line (the row says so), by the bootloader itself after
        // EnterBootloaderWaitSeconds. Either way it must come back.
        while (!rejection.ApplicationRestarted && refused.IsInBootloader)
        {
            output.WriteLine($"not restarted by the updater ({rejection.Message}); waiting for the bootloader to start it");
            await Task.Delay(TimeSpan.FromSeconds(1), guard.Token);
            refused = await chain.Network.FindAsync(products[1].Uid, guard.Token);
        }
        Assert.False(refused.IsInBootloader, rejection.Message);
        Assert.Equal(V1, refused.ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Each_member_gets_an_image_bound_to_it_and_a_C_member_given_another_s_refuses_while_the_others_finish()
    {
        ConformanceProduct[] products = [.. Products(FlashFamily.Stm32F4, 116, 4).Select(p => p with { RequireBinding = true })];
        DeviceImplementation[] kinds = [C, CSharp, C, CSharp];
        ChainMember[] members = [.. products.Select((p, i) => new ChainMember(kinds[i], p, Factory(p)))];
        UpdateOptions options = ConformanceHost.Options(localPreCheck: false) with { MulticastFormationTimeout = TimeSpan.FromMinutes(10) };
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, options, cancellationToken: guard.Token);
        // Every image is bound to its device (its own manifest) over the same payload bytes; member 2 gets member 0's.
        FirmwareImage ImageFor(DeviceInfo device) =>
            Image(device.Uid == products[2].Uid ? products[0] : products.Single(p => p.Uid == device.Uid), RegionKind.Application, V2, size: Size, counter: 2, bind: true);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, (d, _) => Task.FromResult(ImageFor(d)), cancellationToken: guard.Token);

        Assert.Equal(BootloaderError.NotBoundToThisDevice, Assert.IsType<UpdateRejectedException>(rows[2].Error).DeviceError);
        await AssertUpdatedAsync(chain, rows, ImageFor(chain.Devices[0]).Payload.ToArray(), [true, true, null, true], guard.Token);
        Assert.Equal(V1, (await chain.Network.FindAsync(products[2].Uid, guard.Token)).ApplicationVersion);
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-CONFIDENTIAL")]
    [Trait("Requirement", "REQ-DEVICE-BOUND")]
    public async Task Encrypted_images_share_one_ciphertext_with_the_content_key_wrapped_for_each_member()
    {
        ConformanceProduct[] products = [.. Products(FlashFamily.Stm32L4, 120, 4)
            .Select(p => p with { RequireEncryption = true, IdentityKey = KeyGenerator.Generate(KeyRole.DeviceIdentity) })];
        DeviceImplementation[] kinds = [C, CSharp, C, C];
        ChainMember[] members = [.. products.Select((p, i) => new ChainMember(kinds[i], p, Factory(p)))];
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), cancellationToken: guard.Token);
        byte[] plaintext = SecurityKit.Payload(Size, 120);
        // Members 0 and 1 (C and C#): one image, its key block with a key for each. Members 2 and 3 (both C): an image
        // each, bound to it, with its own manifest and wrapped key, over one ciphertext.
        FirmwareImage both = await EncryptedAsync(products[0], plaintext, new AesCtrEciesPayloadEncryptor(), null, products[0], products[1]);
        using var shared = new SharedCiphertextEncryptor(new AesCtrEciesPayloadEncryptor());
        FirmwareImage forTwo = await EncryptedAsync(products[2], plaintext, shared, products[2].Uid, products[2]);
        FirmwareImage forThree = await EncryptedAsync(products[3], plaintext, shared, products[3].Uid, products[3]);
        Assert.True(forTwo.Payload.Span.SequenceEqual(forThree.Payload.Span));
        Assert.Null(forTwo.FindWrappedKey(products[3].Uid));
        FirmwareImage[] images = [both, both, forTwo, forThree];

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices,
            (d, _) => Task.FromResult(images[Array.FindIndex(products, p => p.Uid == d.Uid)]), cancellationToken: guard.Token);

        // Each flash holds the plaintext, decrypted by its device with its own unwrapped key; the ciphertext nowhere.
        await AssertUpdatedAsync(chain, rows, plaintext, [true, true, true, true], guard.Token);
        foreach (IDeviceUnderTest member in chain.Members)
            Assert.False(member.Snapshot().Main.AsSpan().IndexOf(forTwo.Payload.Span[..64]) >= 0, "a ciphertext is in flash");
    }

    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_C_member_without_multicast_forwards_the_group_and_is_updated_by_itself()
    {
        var products = Products(FlashFamily.Stm32F4, 124, 3);
        products[1] = products[1] with { Multicast = false };
        ChainMember[] members = [new(C, products[0], Factory(products[0])), new(C, products[1], Factory(products[1])), new(CSharp, products[2], Factory(products[2]))];
        var events = new UpdaterEvents();
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), events, cancellationToken: guard.Token);
        Assert.False(chain.Devices[1].Rules!.BootloaderFeatures.HasFlag(FeatureFlags.Multicast));
        Assert.True(chain.Devices[0].Rules!.BootloaderFeatures.HasFlag(FeatureFlags.Multicast));
        FirmwareImage image = Image(products[0], RegionKind.Application, V2, size: Size, counter: 2);

        IReadOnlyList<InstallResult> rows = await chain.Updater.UpdateManyAsync(chain.Devices, image, cancellationToken: guard.Token);
        output.WriteLine(events.ToString());

        // Members 0 and 2 share the transfer; its frames pass the C device between them, which takes none of them.
        // Member 2's JoinGroup and its answer pass that C device too, while its flash is busy with its own writes: on a
        // loaded machine (a fresh-clone CI once) the answer came only after the stream had ended, so the transfer did not
        // count member 2 although it had taken the stream, and its resume found those blocks held and wrote only the
        // rest (updates.md section 5, "Writing only the holes"). Either way the group's frames reached it through the
        // C device: as a member to the end, or as blocks its resume found held.
        await AssertUpdatedAsync(chain, rows, image.Payload.ToArray(), [true, false, null], guard.Token, mayLeave: true);
        UpdateResult behind = rows[2].Result!;
        Assert.True(behind.Multicast || behind.BytesResumed > 0, $"member 2 took nothing of the group's stream: {rows[2]}");
    }

    /// <summary>
    /// A C device whose flash is busy with an erase still forwards (device-model.md 6.4.1, firmware.md "while the flash is
    /// busy"): its link runs on as a chip's SRAM-resident receive path does, while its own commands wait for the flash.
    /// The front member erases ahead of an update with the F4's typical timing (1 s per 128 KB sector); a GetStatus sent
    /// to it waits for the erase, and a GetStatus sent right behind it to the member behind it is forwarded and answered
    /// first. A device that stopped its link for the erase (the process asleep, as before) answers its own first and
    /// forwards the other only afterwards.
    /// </summary>
    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-INST")]
    public async Task A_C_device_forwards_to_the_device_behind_it_while_it_erases()
    {
        var products = Products(FlashFamily.Stm32F4, 130, 2);
        ChainMember[] members =
        [
            new(C, products[0], Factory(products[0], withApplication: false), ["--flash-timing", "typical"]),
            new(C, products[1], Factory(products[1], withApplication: false)),
        ];
        using CancellationTokenSource guard = Guard();
        await using ConformanceChain chain = await ConformanceChain.StartAsync(members, ConformanceHost.Options(), cancellationToken: guard.Token);
        using var front = new BootloaderClient(chain.Network.Client, chain.Devices[0].Address);
        using var behind = new BootloaderClient(chain.Network.Client, chain.Devices[1].Address);
        // 300 000 bytes: three 128 KB sectors of the F4's application region to erase ahead, about 3 s of erases in a row.
        FirmwareImage image = Image(products[0], RegionKind.Application, V2, size: 300_000, counter: 2);
        Assert.Equal(0u, (await front.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), [], guard.Token)).ResumeOffset);
        await Task.Delay(200, guard.Token); // the eraser starts on the first idle poll after the answer: well inside its first erase

        Task<GetStatusResponse> own = front.GetStatusAsync(guard.Token);
        Task<GetStatusResponse> forwarded = behind.GetStatusAsync(guard.Token);
        Task first = await Task.WhenAny(own, forwarded);

        Assert.Same(forwarded, first); // answered from behind the front member while the front member's flash was busy
        Assert.Equal(UpdatePhase.Receiving, BootloaderStatus.FromResponse(await own).Phase); // the front member's own command ran once the erase ended
        await forwarded;
        await front.AbortUpdateAsync(guard.Token);
    }

    /// <summary>
    /// GetMissingBlocks (device-model.md 6.4.2) answers the same bitmap, prefix and refusals on both implementations after
    /// the same writes, and changes nothing.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-RPC")]
    public async Task GetMissingBlocks_answers_the_same_bitmap_and_refusals(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 128);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product, withApplication: false));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        Assert.True(host.Device.Rules!.BootloaderFeatures.HasFlag(FeatureFlags.Multicast));
        using var raw = new BootloaderClient(host.Network.Client, host.Device.Address);
        FirmwareImage image = Image(product, RegionKind.Application, V2, size: 10_000, counter: 2);
        byte[] payload = image.Payload.ToArray();

        Assert.Equal(BootloaderError.NoUpdateInProgress, await RefusalAsync(() => raw.GetMissingBlocksAsync(0, 1024, guard.Token)));
        Assert.Equal(0u, (await raw.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), [], guard.Token)).ResumeOffset);
        foreach ((int offset, int length) in new[] { (0, 1024), (1024, 1024), (3072, 1024), (4112, 1008), (9216, 784) })
            await raw.WriteAsync((uint)offset, payload[offset..(offset + length)], guard.Token);
        long operations = await DevicesUnderTest.QuietFlashAsync(dut, guard.Token); // the background eraser is done with the region

        GetMissingBlocksResponse kib = await raw.GetMissingBlocksAsync(0, 1024, guard.Token);
        Assert.Equal((2048u, (ushort)10), (kib.BytesCommitted, kib.BlockCount));
        byte[] holes = [0xF4, 0x01, .. new byte[62]]; // blocks 2, 4 (its first unit), 5, 6, 7, 8; bits from 10 on 0
        Assert.Equal(holes, kib.Missing);
        GetMissingBlocksResponse units = await raw.GetMissingBlocksAsync(16, 16, guard.Token);
        Assert.Equal((ushort)512, units.BlockCount); // at most 512 blocks per answer
        Assert.Equal(0x80, units.Missing[15]);      // offset 16 + 127 x 16 = 2048: block 2's first unit
        Assert.Equal(0xFF, units.Missing[63]);
        Assert.Equal(BootloaderError.Misaligned, await RefusalAsync(() => raw.GetMissingBlocksAsync(0, 0, guard.Token)));
        Assert.Equal(BootloaderError.Misaligned, await RefusalAsync(() => raw.GetMissingBlocksAsync(0, 1000, guard.Token)));
        Assert.Equal(BootloaderError.Misaligned, await RefusalAsync(() => raw.GetMissingBlocksAsync(8, 1024, guard.Token)));
        Assert.Equal(BootloaderError.OutOfRange, await RefusalAsync(() => raw.GetMissingBlocksAsync(10_000, 1024, guard.Token)));
        Assert.Equal(operations, await dut.FlashOperationsAsync()); // a read: nothing written or erased
    }

    /// <summary>
    /// BeginUpdate of a new image revokes the old one in the journal (device-model.md 6.2, byte 18 of the state record,
    /// the golden vector state-record-revoked): from that record on the old application is not valid on either
    /// implementation, an AbortUpdate keeps the bit, and a reset finds no valid application, however far the background
    /// erase came.
    /// </summary>
    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-BOOT-VERIFY")]
    public async Task BeginUpdate_revokes_the_old_image_in_the_journal_and_an_abort_keeps_it_revoked(DeviceImplementation implementation, FlashFamily family)
    {
        var product = new ConformanceProduct(family, 129);
        using CancellationTokenSource guard = Guard();
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        await using ConformanceHost host = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token);
        using (DeviceClient client = host.Network.CreateDeviceClient(host.Device))
            await client.EnterBootloaderAsync(60, guard.Token);
        DeviceInfo bootloader = await UpdateConformanceTests.WaitForBootloaderAsync(host, guard.Token);
        using var raw = new BootloaderClient(host.Network.Client, bootloader.Address);
        FirmwareImage image = Image(product, RegionKind.Application, V2, size: 30_000, counter: 2);

        await raw.BeginUpdateAsync(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), [], guard.Token);
        Assert.Equal(0x08, (await NewestRecordAsync(dut))[18]); // Receiving, the application's bit
        await raw.AbortUpdateAsync(guard.Token);
        byte[] idle = await NewestRecordAsync(dut);
        Assert.Equal(((byte)0, (byte)0x08), (idle[2], idle[18])); // Idle, and still revoked
        await dut.CutPowerAsync();

        // After the power comes back (the request is still persisted, but no valid application outranks it).
        DeviceInfo after = await UpdateConformanceTests.WaitForBootloaderAsync(host, guard.Token);
        Assert.False(after.ApplicationValid);
        Assert.Equal(StayReason.NoValidApplication, after.Bootloader!.StayReason);
        Assert.NotEqual(RegionState.Valid, after.Bootloader.GetRegion(RegionKind.Application).State);
    }

    /// <summary>The payload of the newest state record in the device's journal, read from its flash as a programmer would.</summary>
    private static async Task<byte[]> NewestRecordAsync(IDeviceUnderTest dut)
    {
        string path = Path.Combine(Path.GetTempPath(), $"csa-journal-{Guid.NewGuid():N}.flash");
        try
        {
            await dut.SaveFlashAsync(path);
            SimulatedFlash flash = FlashImageFile.Load(path, expectedGeometry: dut.Product.Map.Geometry);
            var journal = new Csa.Simulator.Memory.StateJournal(flash, dut.Product.Map, slotSize: 80);
            return journal.ReadLatest()!.GetPayload();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<BootloaderError?> RefusalAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<Csa.Rpc.RpcErrorException>(call);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        return BootloaderInterface.TryGetError(e, out BootloaderError error) ? error : null;
    }

    private static ConformanceProduct[] Products(FlashFamily family, int first, int count) =>
        [.. Enumerable.Range(first, count).Select(i => new ConformanceProduct(family, i))];

    private static ChainMember[] Members(FlashFamily family, int first, params DeviceImplementation[] kinds) =>
        [.. kinds.Select((kind, i) => new ConformanceProduct(family, first + i)).Select((p, i) => new ChainMember(kinds[i], p, Factory(p)))];

    private static Task<FirmwareImage> EncryptedAsync(ConformanceProduct product, byte[] plaintext, IPayloadEncryptor encryptor, DeviceUid? bindTo,
        params ConformanceProduct[] recipients)
    {
        var settings = new ImageSettings { VendorId = product.VendorId, DeviceClassId = product.DeviceClassId, Version = V2, SecurityCounter = 2 };
        if (bindTo is { } uid)
            settings.BoundDevices.Add(uid);
        return new ImageBuilder(settings).BuildAsync(FirmwareSource.FromBinary(plaintext, product.Map.Application.Address),
            new EcdsaP256Signer(SigningKey), encryptor,
            recipients.Select(r => new ImageRecipient(r.Uid, r.IdentityKey!.PublicKey.ToUncompressedPoint())).ToArray());
    }

    /// <summary>
    /// Each row succeeded with the transfer expected (null: a refusal the test checks itself, or with
    /// <paramref name="mayLeave"/> either transfer); each member that succeeded holds <paramref name="payload"/> in its application region, runs the new application, and (the C# ones)
    /// broke no flash rule.
    /// </summary>
    private async Task AssertUpdatedAsync(ConformanceChain chain, IReadOnlyList<InstallResult> rows, byte[] payload, bool?[] multicast, CancellationToken cancellationToken,
        bool mayLeave = false)
    {
        foreach (InstallResult row in rows)
            output.WriteLine($"{row} multicast {row.Result?.Multicast} resumed {row.Result?.ResumeCount}: {row.Error?.Message}");
        Assert.Equal(chain.Devices.Select(d => d.Uid), rows.Select(r => r.Device));
        chain.Heal(); // what the devices say now, over clean wires
        IReadOnlyList<DeviceInfo> now = await chain.Network.DiscoverAsync(cancellationToken);
        for (int i = 0; i < rows.Count; i++)
        {
            IDeviceUnderTest member = chain.Members[i];
            if (multicast[i] is null && !mayLeave)
            {
                Assert.False(rows[i].Succeeded);
                continue;
            }
            Assert.True(rows[i].Succeeded, $"{member.Implementation} member {i}: {rows[i].FailureReason}\n{member.Log}");
            Assert.Equal(V2, rows[i].VersionAfter);
            if (multicast[i] is { } shared)
                Assert.Equal(shared, rows[i].Result!.Multicast);
            DeviceInfo device = Assert.Single(now, d => d.Uid == member.Product.Uid);
            Assert.False(device.IsInBootloader, $"{member.Implementation} member {i} runs its bootloader after its update ({device.Bootloader?.StayReason}):\n{member.Log}");
            Assert.Equal(V2, device.ApplicationVersion);
            Assert.Equal(payload, member.Snapshot().Region(member.Product.Map.Application)[..payload.Length]);
            (member as VirtualDeviceUnderTest)?.AssertNoFlashRuleBroken();
        }
    }
}

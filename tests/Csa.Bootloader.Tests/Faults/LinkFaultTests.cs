using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Xunit.Abstractions;
using static Csa.Testing.DeviceKit;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>
/// An application update over an impaired emulated serial line (bit errors, frame loss, duplication,
/// reordering, a cable pulled and plugged back, a link dropped and replaced) ends with the application region
/// byte-identical to the image's plaintext payload, and every 16-byte block programmed exactly once: resends and
/// duplicates are acknowledged by comparing, never by programming again.
/// </summary>
public sealed class LinkFaultTests(ITestOutputHelper output)
{
    private const int PayloadSize = 48_000;

    public sealed record Impairment(string Name, EmulatedChannelOptions Channel, int Chunk, ushort MaxFrameSize)
    {
        public override string ToString() => Name;
    }

    private static IEnumerable<(Impairment Impairment, bool Encrypted)> AllImpairments()
    {
        foreach (bool encrypted in new[] { false, true })
        {
            // 1e-4 per bit: a 1 KiB frame would arrive intact only 44 % of the time, so the host writes 256-byte
            // blocks in 512-byte frames (about 74 % intact), as a host on a noisy line should.
            yield return (new("bit errors 1e-4", new EmulatedChannelOptions { BaudRate = 1_000_000, BitErrorRate = 1e-4 }, 256, 512), encrypted);
            yield return (new("5 % frame loss", new EmulatedChannelOptions { BaudRate = 1_000_000, FrameLossProbability = 0.05 }, 4096, 1024), encrypted);
            yield return (new("10 % duplication", new EmulatedChannelOptions { BaudRate = 1_000_000, FrameDuplicationProbability = 0.10 }, 4096, 1024), encrypted);
            yield return (new("10 % reordering", new EmulatedChannelOptions { BaudRate = 1_000_000, FrameReorderProbability = 0.10 }, 4096, 1024), encrypted);
        }
    }

    // The fast slice: every impairment with a plaintext image, and the encrypted path once (frame loss: resends of
    // encrypted writes, which the device decrypts and compares again). The other encrypted runs are exhaustive.
    private static bool InSlice((Impairment Impairment, bool Encrypted) c) => !c.Encrypted || c.Impairment.Name == "5 % frame loss";

    public static TheoryData<Impairment, bool> Impairments()
    {
        var data = new TheoryData<Impairment, bool>();
        foreach ((Impairment impairment, bool encrypted) in AllImpairments().Where(InSlice))
            data.Add(impairment, encrypted);
        return data;
    }

    public static TheoryData<Impairment, bool> MoreImpairments()
    {
        var data = new TheoryData<Impairment, bool>();
        foreach ((Impairment impairment, bool encrypted) in AllImpairments().Where(c => !InSlice(c)))
            data.Add(impairment, encrypted);
        return data;
    }

    /// <summary>Short timeouts and many attempts: on a lossy line a lost frame costs one timeout and a resend.</summary>
    private static UpdateOptions Options(int? chunk, int attempts = 20) => new()
    {
        Retry = new() { Timeout = TimeSpan.FromMilliseconds(600), Attempts = attempts },
        EraseTimeout = TimeSpan.FromMilliseconds(600),
        RestartPollInterval = TimeSpan.FromMilliseconds(20),
        RestartTimeout = TimeSpan.FromSeconds(20),
        AddressRetentionGrace = TimeSpan.FromMilliseconds(300),
        ResumeDelay = TimeSpan.FromMilliseconds(50),
        MaxResumeAttempts = 10,
        WriteChunkSize = chunk,
    };

    private static DeviceNetworkOptions NetworkOptions() => new()
    {
        Retry = new() { Timeout = TimeSpan.FromMilliseconds(600), Attempts = 10 },
        LinkManagementTimeout = TimeSpan.FromMilliseconds(300),
    };

    [Theory]
    [MemberData(nameof(Impairments))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public Task An_update_over_an_impaired_line_stores_the_payload_byte_for_byte_and_programs_each_block_once(Impairment impairment, bool encrypted) =>
        UpdateOverImpairedLineAsync(impairment, encrypted);

    [Theory]
    [MemberData(nameof(MoreImpairments))]
    [Trait("Category", "Exhaustive")]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public Task Exhaustive_an_encrypted_update_over_every_other_impaired_line_stores_the_payload_byte_for_byte(Impairment impairment, bool encrypted) =>
        UpdateOverImpairedLineAsync(impairment, encrypted);

    private async Task UpdateOverImpairedLineAsync(Impairment impairment, bool encrypted)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        DeviceProfile profile = WithFrames(Profile(family: FlashFamily.Stm32F4, requireEncryption: encrypted), impairment.MaxFrameSize);
        FirmwareImage image = Image(profile, RegionKind.Application, V2, PayloadSize, 2, encrypt: encrypted);
        await using VirtualDevice device = Device(profile, firmware: FreshBothCopies);
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(impairment.Channel, seed: encrypted ? 11 : 7));
        device.AttachUpstream(link.B);
        await device.PowerOnAsync(guard.Token);
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(link.A)], NetworkOptions(), guard.Token);
        DeviceInfo info = await FindAsync(network, profile, guard.Token);

        UpdateResult result = await new FirmwareUpdater(network, Options(impairment.Chunk)).UpdateApplicationAsync(info, image, null, guard.Token);

        AssertInstalledOnce(device, image, $"{impairment}, {(encrypted ? "encrypted" : "plaintext")}");
        output.WriteLine($"{impairment} ({(encrypted ? "encrypted" : "plaintext")}): {result.BytesSent} payload bytes sent, {result.ResumeCount} resumes; host->device {link.AToBCounters}; device->host {link.BToACounters}; " +
            $"blocks programmed {device.Firmware.Bootloader.ProgrammedBlocks}, acknowledged as duplicates {device.Firmware.Bootloader.DuplicateBlocks}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_cable_pulled_mid_transfer_and_plugged_back_resumes_without_programming_anything_twice(bool encrypted)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        DeviceProfile profile = Profile(family: FlashFamily.Stm32L4, requireEncryption: encrypted);
        FirmwareImage image = Image(profile, RegionKind.Application, V2, PayloadSize, 2, encrypt: encrypted);
        await using VirtualDevice device = Device(profile, firmware: FreshBothCopies);
        // 115200 baud: the second half of the transfer lasts about 2 s, so the poll below (which a loaded machine can
        // delay by tens of milliseconds) always pulls the cable mid-transfer; at 1 Mbaud it sometimes came too late.
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 115_200 }));
        device.AttachUpstream(link.B);
        await device.PowerOnAsync(guard.Token);
        await using DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(link.A)], NetworkOptions(), guard.Token);
        DeviceInfo info = await FindAsync(network, profile, guard.Token);

        // Out for 1.5 s: longer than a command's attempts (2 x 300 ms), so the updater's resume is what brings it back.
        Task pull = PullCableWhenHalfWrittenAsync(device, async () =>
        {
            link.CutLine();
            await Task.Delay(1500, guard.Token);
            link.RestoreLine();
        }, guard.Token);
        var options = Options(1024, attempts: 2);
        options = options with { Retry = options.Retry with { Timeout = TimeSpan.FromMilliseconds(300) } };
        UpdateResult result = await new FirmwareUpdater(network, options).UpdateApplicationAsync(info, image, null, guard.Token);
        await pull;

        AssertInstalledOnce(device, image, "cable pulled");
        Assert.True(result.ResumeCount >= 1, $"the updater reports no resume ({result})");
        output.WriteLine($"cable pulled for 1.5 s: {result.ResumeCount} resumes, {result.BytesResumed} bytes not sent again, {link.AToBCounters.BytesLostOnCutLine + link.BToACounters.BytesLostOnCutLine} bytes lost on the line; " +
            $"{device.Firmware.Bootloader.ProgrammedBlocks} blocks programmed, {device.Firmware.Bootloader.DuplicateBlocks} acknowledged as duplicates");
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_link_dropped_mid_transfer_and_replaced_by_a_new_one_resumes_without_programming_anything_twice()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        DeviceProfile profile = Profile(family: FlashFamily.Stm32F4);
        FirmwareImage image = Image(profile, RegionKind.Application, V2, PayloadSize, 2);
        await using VirtualDevice device = Device(profile, firmware: FreshBothCopies);
        await device.PowerOnAsync(guard.Token);
        var channel = new EmulatedChannelOptions { BaudRate = 1_000_000 };

        // The first host session: its link (a TCP connection, a USB-serial adapter) breaks half way; the updater
        // cannot reopen a transport it was handed, so the call fails.
        EmulatedLink first = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel));
        device.AttachUpstream(first.B);
        await using (DeviceNetwork network = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(first.A)], NetworkOptions(), guard.Token))
        {
            DeviceInfo info = await FindAsync(network, profile, guard.Token);
            Task drop = PullCableWhenHalfWrittenAsync(device, () =>
            {
                first.Disconnect();
                return Task.CompletedTask;
            }, guard.Token);
            var options = Options(1024, attempts: 2);
            options = options with { MaxResumeAttempts = 1 };
            // The updater's typed failure after half the payload (not a crash of the host's own code): its one resume
            // cannot reconnect over a link that is gone.
            UpdateFailedException failed = await Assert.ThrowsAsync<UpdateFailedException>(() => new FirmwareUpdater(network, options).UpdateApplicationAsync(info, image, null, guard.Token));
            Assert.True(failed.BytesSent > 0, failed.ToString());
            await drop;
        }
        await first.DisposeAsync();
        await device.DetachUpstreamAsync();
        uint committed = device.Firmware.Inventory.BytesCommitted;

        // A new link and a new host session (the tool restarted): the same call again resumes on the device's session.
        await using EmulatedLink second = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel));
        device.AttachUpstream(second.B);
        await using DeviceNetwork again = await DeviceNetwork.ConnectAsync([NetworkLink.FromTransport(second.A)], NetworkOptions(), guard.Token);
        UpdateResult result = await new FirmwareUpdater(again, Options(1024)).UpdateApplicationAsync(await FindAsync(again, profile, guard.Token), image, null, guard.Token);

        AssertInstalledOnce(device, image, "link replaced");
        Assert.True(result.BytesResumed > 0, $"nothing was resumed ({result}); {committed} bytes were committed when the link broke");
        output.WriteLine($"link dropped with {committed} bytes committed; new session resumed {result.BytesResumed} bytes, sent {result.BytesSent}; " +
            $"{device.Firmware.Bootloader.ProgrammedBlocks} blocks programmed, {device.Firmware.Bootloader.DuplicateBlocks} acknowledged as duplicates");
    }

    private static async Task<DeviceInfo> FindAsync(DeviceNetwork network, DeviceProfile profile, CancellationToken cancellationToken)
    {
        // On a line that reorders frames, the broadcast "forget your address" of an enumeration can arrive after the
        // "assign" that follows it, and the device forgets the address it just took (reported to the data link's owners):
        // discover again until the device answers.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await network.FindAsync(profile.Uid, cancellationToken);
            }
            catch (Exception) when (attempt < 5 && !cancellationToken.IsCancellationRequested)
            {
                await network.DiscoverAsync(cancellationToken);
            }
        }
    }

    private static DeviceProfile WithFrames(DeviceProfile p, ushort maxFrameSize) => new()
    {
        MemoryMap = p.MemoryMap,
        Uid = p.Uid,
        TrustedSigningKeys = p.TrustedSigningKeys,
        IdentityKey = p.IdentityKey,
        RequireEncryption = p.RequireEncryption,
        DowngradePrevention = p.DowngradePrevention,
        FlashTiming = p.FlashTiming,
        MaxFrameSize = maxFrameSize,
        ReceiveBuffers = p.ReceiveBuffers,
    };

    private static async Task PullCableWhenHalfWrittenAsync(VirtualDevice device, Func<Task> pull, CancellationToken cancellationToken)
    {
        while (device.Firmware.Bootloader.ProgrammedBlocks < PayloadSize / 16 / 2)
            await Task.Delay(1, cancellationToken);
        await pull();
    }

    private static void AssertInstalledOnce(VirtualDevice device, FirmwareImage image, string context)
    {
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(V2, inventory[RegionKind.Application].Version);
        byte[] plaintext = Plaintext(RegionKind.Application, image.Manifest.Version, (int)image.Manifest.PayloadSize);
        byte[] stored = device.Flash.ReadRaw(device.Profile.MemoryMap.Application.Address, plaintext.Length);
        Assert.True(stored.AsSpan().SequenceEqual(plaintext), $"{context}: the application region differs from the payload");
        int blocks = (plaintext.Length + 15) / 16;
        Assert.Equal(blocks, device.Firmware.Bootloader.ProgrammedBlocks);
        AssertNoFlashRuleViolated(device, context);
    }
}

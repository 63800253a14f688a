using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Simulator.Flash;
using Xunit.Abstractions;
using static Csa.Bootloader.Tests.Faults.FaultKit;

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

    public static TheoryData<Impairment, bool> Impairments()
    {
        var data = new TheoryData<Impairment, bool>();
        foreach (bool encrypted in new[] { false, true })
        {
            // 1e-4 per bit: a 1 KiB frame would arrive intact only 44 % of the time, so the host writes 256-byte
            // blocks in 512-byte frames (about 74 % intact), as a host on a noisy line should.
            data.Add(new("bit errors 1e-4", new EmulatedChannelOptions { BaudRate = 1_000_000, BitErrorRate = 1e-4 }, 256, 512), encrypted);
            data.Add(new("5 % frame loss", new EmulatedChannelOptions { BaudRate = 1_000_000, FrameLossProbability = 0.05 }, 4096, 1024), encrypted);
            data.Add(new("10 % duplication", new EmulatedChannelOptions { BaudRate = 1_000_000, FrameDuplicationProbability = 0.10 }, 4096, 1024), encrypted);
            data.Add(new("10 % reordering", new EmulatedChannelOptions { BaudRate = 1_000_000, FrameReorderProbability = 0.10 }, 4096, 1024), encrypted);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Impairments))]
    [Trait("Requirement", "REQ-RECOVER")]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Threat", "THREAT.IMG.NON_AUTH")]
    public async Task An_update_over_an_impaired_line_stores_the_payload_byte_for_byte_and_programs_each_block_once(Impairment impairment, bool encrypted)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        DeviceProfile profile = WithFrames(Profile(FlashFamily.Stm32F4, requireEncryption: encrypted), impairment.MaxFrameSize);
        TestImage image = Image(profile, RegionKind.Application, NewVersion, PayloadSize, 2, encrypt: encrypted);
        await using VirtualDevice device = FactoryDevice(profile);
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(impairment.Channel, seed: encrypted ? 11 : 7));
        device.AttachUpstream(link.B);
        await device.PowerOnAsync(guard.Token);
        await using HostSession host = HostSession.Create(TimeSpan.FromMilliseconds(600), maxAttempts: 20, TimeSpan.FromMilliseconds(300));
        NodeLink hostLink = host.Connect(link.A);
        NodeAddress address = (await host.EnumerateAsync(hostLink, cancellationToken: guard.Token))[0].Address;

        await ResumingUpdateProcedure.RunAsync(host.Rpc, address, UpdatePlan.Application(image.Image, profile.Uid), guard.Token, impairment.Chunk);

        AssertInstalledOnce(device, image, $"{impairment}, {(encrypted ? "encrypted" : "plaintext")}");
        output.WriteLine($"{impairment} ({(encrypted ? "encrypted" : "plaintext")}): host->device {link.AToBCounters}; device->host {link.BToACounters}; " +
            $"blocks programmed {device.Firmware.Bootloader.ProgrammedBlocks}, acknowledged as duplicates {device.Firmware.Bootloader.DuplicateBlocks}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_cable_pulled_mid_transfer_and_plugged_back_resumes_without_programming_anything_twice(bool encrypted)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        DeviceProfile profile = Profile(FlashFamily.Stm32L4, requireEncryption: encrypted);
        TestImage image = Image(profile, RegionKind.Application, NewVersion, PayloadSize, 2, encrypt: encrypted);
        await using VirtualDevice device = FactoryDevice(profile);
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 1_000_000 }));
        device.AttachUpstream(link.B);
        await device.PowerOnAsync(guard.Token);
        // Few, short attempts: the host gives up while the cable is out, as a real one would.
        await using HostSession host = HostSession.Create(TimeSpan.FromMilliseconds(300), maxAttempts: 2, TimeSpan.FromMilliseconds(300));
        NodeLink hostLink = host.Connect(link.A);
        NodeAddress address = (await host.EnumerateAsync(hostLink, cancellationToken: guard.Token))[0].Address;
        UpdatePlan plan = UpdatePlan.Application(image.Image, profile.Uid);

        Task pull = PullCableWhenHalfWrittenAsync(device, link.CutLine, guard.Token);
        Exception failure = await Assert.ThrowsAnyAsync<Exception>(() => ResumingUpdateProcedure.RunAsync(host.Rpc, address, plan, guard.Token, 1024));
        await pull;
        link.RestoreLine();
        uint committed = device.Firmware.Inventory.BytesCommitted;

        await ResumingUpdateProcedure.RunAsync(host.Rpc, address, plan, guard.Token, 1024);
        AssertInstalledOnce(device, image, "cable pulled");
        output.WriteLine($"cable pulled with {committed} bytes committed ({failure.GetType().Name}); {link.AToBCounters.BytesLostOnCutLine + link.BToACounters.BytesLostOnCutLine} bytes lost on the line; " +
            $"resumed: {device.Firmware.Bootloader.ProgrammedBlocks} blocks programmed, {device.Firmware.Bootloader.DuplicateBlocks} acknowledged as duplicates");
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_link_dropped_mid_transfer_and_replaced_by_a_new_one_resumes_without_programming_anything_twice()
    {
        using var guard = new CancellationTokenSource(HangGuard);
        DeviceProfile profile = Profile(FlashFamily.Stm32F4);
        TestImage image = Image(profile, RegionKind.Application, NewVersion, PayloadSize, 2);
        await using VirtualDevice device = FactoryDevice(profile);
        var channel = new EmulatedChannelOptions { BaudRate = 1_000_000 };
        EmulatedLink first = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel));
        device.AttachUpstream(first.B);
        await device.PowerOnAsync(guard.Token);
        UpdatePlan plan = UpdatePlan.Application(image.Image, profile.Uid);
        await using (HostSession firstHost = HostSession.Create(TimeSpan.FromMilliseconds(500), maxAttempts: 2, TimeSpan.FromMilliseconds(300)))
        {
            NodeLink hostLink = firstHost.Connect(first.A);
            NodeAddress firstAddress = (await firstHost.EnumerateAsync(hostLink, cancellationToken: guard.Token))[0].Address;
            Task drop = PullCableWhenHalfWrittenAsync(device, first.Disconnect, guard.Token);
            await Assert.ThrowsAnyAsync<Exception>(() => ResumingUpdateProcedure.RunAsync(firstHost.Rpc, firstAddress, plan, guard.Token, 1024));
            await drop;
        }
        await first.DisposeAsync();
        await device.DetachUpstreamAsync();

        // A new cable and a new host session (a new USB-serial adapter, a new TCP connection, a restarted tool):
        // plug it in, enumerate, run the update again; the device's session (in RAM) resumes.
        await using EmulatedLink second = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel));
        device.AttachUpstream(second.B);
        await using HostSession host = HostSession.Create(TimeSpan.FromMilliseconds(500), maxAttempts: 3, TimeSpan.FromMilliseconds(300));
        NodeLink newLink = host.Connect(second.A);
        NodeAddress address;
        address = (await host.EnumerateAsync(newLink, cancellationToken: guard.Token))[0].Address;
        await ResumingUpdateProcedure.RunAsync(host.Rpc, address, plan, guard.Token, 1024);
        AssertInstalledOnce(device, image, "link replaced");
        output.WriteLine($"link replaced: {device.Firmware.Bootloader.ProgrammedBlocks} blocks programmed, {device.Firmware.Bootloader.DuplicateBlocks} acknowledged as duplicates");
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

    private static async Task PullCableWhenHalfWrittenAsync(VirtualDevice device, Action pull, CancellationToken cancellationToken)
    {
        while (device.Firmware.Bootloader.ProgrammedBlocks < PayloadSize / 16 / 2)
            await Task.Delay(1, cancellationToken);
        pull();
    }

    private static void AssertInstalledOnce(VirtualDevice device, TestImage image, string context)
    {
        FirmwareInventory inventory = device.Firmware.Inventory;
        Assert.Equal(RegionState.Valid, inventory[RegionKind.Application].State);
        Assert.Equal(NewVersion, inventory[RegionKind.Application].Version);
        byte[] stored = device.Flash.ReadRaw(device.Profile.MemoryMap.Application.Address, image.Plaintext.Length);
        Assert.True(stored.AsSpan().SequenceEqual(image.Plaintext), $"{context}: the application region differs from the payload");
        int blocks = (image.Plaintext.Length + 15) / 16;
        Assert.Equal(blocks, device.Firmware.Bootloader.ProgrammedBlocks);
        AssertNoFlashRuleViolated(device, context);
    }
}

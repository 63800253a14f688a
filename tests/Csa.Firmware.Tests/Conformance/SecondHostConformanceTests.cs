using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.DataLink;
using Csa.DataLink.Transports;
using Csa.Rpc;
using Csa.Simulator.Flash;
using static Csa.Firmware.Tests.Conformance.ConformanceKit;

namespace Csa.Firmware.Tests.Conformance;

/// <summary>
/// An update session belongs to the host that began it (device-model.md 6.3): a second host, on a bus or network where
/// both reach the device, can neither replace it with another image nor write into it. Both implementations, with the
/// flash compared byte for byte after every refusal.
/// </summary>
public sealed class SecondHostConformanceTests
{
    /// <summary>The second host's node address (the first is the SDK's host address, 0x01).</summary>
    private static readonly NodeAddress SecondHost = new(0x21);

    [Theory]
    [MemberData(nameof(ConformanceData.Devices), MemberType = typeof(ConformanceData))]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Threat", "THREAT.UPD.UNAPPROVED")]
    public async Task Writes_from_a_second_host_are_refused_Busy_and_the_owner_resumes_its_session_untouched(DeviceImplementation implementation, FlashFamily family)
    {
        using CancellationTokenSource guard = Guard();
        var product = new ConformanceProduct(family, 15);
        await using IDeviceUnderTest dut = await DevicesUnderTest.StartAsync(implementation, product, Factory(product));
        FirmwareImage mine = Image(product, RegionKind.Application, V2, counter: 2, bind: product.RequireBinding);
        FirmwareImage theirs = Image(product, RegionKind.Application, V3, counter: 3, bind: product.RequireBinding);
        const int Chunk = 512;
        NodeAddress device;

        // The owner: begins its image and writes two chunks, then lets go of the wire (another host's turn on it).
        await using (ConformanceHost owner = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token))
        {
            using (Csa.Rpc.Device.DeviceClient client = owner.Network.CreateDeviceClient(owner.Device))
                await client.EnterBootloaderAsync(60, guard.Token);
            DeviceInfo bootloader = await UpdateConformanceTests.WaitForBootloaderAsync(owner, guard.Token);
            device = bootloader.Address;
            using var raw = new BootloaderClient(owner.Network.Client, device);
            Assert.Equal(0u, (await raw.BeginUpdateAsync(UpdateTarget.Application, mine.ManifestBytes.ToArray(), mine.AuthenticationBlock.ToArray(), [], guard.Token)).ResumeOffset);
            await raw.WriteAsync(0, mine.Payload[..Chunk].ToArray(), guard.Token);
            await raw.WriteAsync(Chunk, mine.Payload[Chunk..(2 * Chunk)].ToArray(), guard.Token);
        }
        long operations = await DevicesUnderTest.QuietFlashAsync(dut, guard.Token); // erase-ahead is done with the region
        FlashSnapshot before = dut.Snapshot();

        // The second host, on its own node address: its writes (new bytes, and other bytes over written ones) and its
        // BeginUpdate of another image are each refused Busy, and nothing in flash changes.
        await using (var node = new DataLinkNode(new DataLinkNodeOptions { LocalAddress = SecondHost }))
        {
            node.AddLink(await dut.OpenTransportAsync(guard.Token), LinkRole.Downstream);
            await using var rpc = new RpcClient(node.OpenSocket(WellKnownPorts.Rpc), new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(2), MaxAttempts = 3 });
            using var other = new BootloaderClient(rpc, device);
            var wrong = new List<string>();
            await Expect(wrong, "a write past the owner's", () => other.WriteAsync(2 * Chunk, theirs.Payload[(2 * Chunk)..(3 * Chunk)].ToArray(), guard.Token));
            await Expect(wrong, "a write over the owner's", () => other.WriteAsync(0, theirs.Payload[..Chunk].ToArray(), guard.Token));
            await Expect(wrong, "BeginUpdate of another image", () => other.BeginUpdateAsync(UpdateTarget.Application, theirs.ManifestBytes.ToArray(), theirs.AuthenticationBlock.ToArray(), [], guard.Token));
            IReadOnlyList<string> changed = dut.Snapshot().DifferingRegions(before);
            if (changed.Count != 0)
                wrong.Add($"the second host's commands changed {string.Join(", ", changed)}");
            long after = await dut.FlashOperationsAsync();
            if (after != operations)
                wrong.Add($"the second host's commands ran {after - operations} flash operation(s)");
            Assert.True(wrong.Count == 0, $"{implementation} {family}:\n{string.Join("\n", wrong)}");
        }

        // The owner comes back: its session resumes where its own writes left it, and the update completes.
        await using (ConformanceHost owner = await ConformanceHost.ConnectAsync(dut, cancellationToken: guard.Token))
        {
            using var raw = new BootloaderClient(owner.Network.Client, device);
            Assert.Equal((uint)(2 * Chunk), (await raw.BeginUpdateAsync(UpdateTarget.Application, mine.ManifestBytes.ToArray(), mine.AuthenticationBlock.ToArray(), [], guard.Token)).ResumeOffset);
            await owner.Updater.UpdateApplicationAsync(await owner.ReadAsync(guard.Token), mine, null, guard.Token);
            Assert.Equal(mine.Manifest.Version, (await owner.ReadAsync(guard.Token)).ApplicationVersion);
        }
    }

    private static async Task Expect(List<string> wrong, string what, Func<Task> command)
    {
        Exception? answer = await Record.ExceptionAsync(command);
        if (answer is not RpcErrorException e || !BootloaderInterface.TryGetError(e, out BootloaderError code) || code != BootloaderError.Busy)
            wrong.Add($"{what}: answered {answer?.Message ?? "accepted"}, expected the bootloader's Busy");
    }
}

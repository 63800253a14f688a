using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Many devices at once with one transfer for a shared payload (docs/updates.md section 10a): a group address, one Write
/// per block for all members, repair by missing-block bitmaps, and members that leave without holding up the others.
/// </summary>
public sealed class MulticastTests
{
    [Fact]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task A_chain_of_four_takes_one_payload_sent_once_and_every_device_runs_the_new_image()
    {
        DeviceProfile[] profiles = Enumerable.Range(60, 4).Select(i => UpdateKit.Profile(i)).ToArray();
        await using Rig rig = await Rig.ChainAsync(4, i => UpdateKit.Device(profiles[i]));
        FirmwareImage image = UpdateKit.App(profiles[0], UpdateKit.V2, size: 60_000, counter: 2);
        long sentBefore = rig.Network.Node.Links[0].Counters.BytesSent;
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        Assert.All(rows, row => Assert.True(row.Succeeded, row.FailureReason));
        Assert.All(rows, row => Assert.True(row.Result!.Multicast));
        Assert.All(rows, row => Assert.Equal(UpdateKit.V2, row.VersionAfter));
        foreach (VirtualDevice device in rig.Virtual)
            Assert.Equal(UpdateKit.V2, device.Firmware.Inventory[RegionKind.Application].Version);
        long sent = rig.Network.Node.Links[0].Counters.BytesSent - sentBefore;
        Assert.InRange(sent, image.Payload.Length, 2 * image.Payload.Length); // once, with framing and four devices' commands (unicast: 4 times)
    }
}

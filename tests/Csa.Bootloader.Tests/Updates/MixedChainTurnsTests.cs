using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Testing;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// One <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/>
/// on a daisy chain where some devices share the payload (a group, multicast) and one, whose bootloader lacks the
/// Multicast feature, is written by itself at the same time (docs/updates.md sections 10 and 10a). Both sets take their
/// turns in one order: the device written by itself does not restart (into its bootloader or its new application) while
/// the group's stream or a member's own command passes through it, nor a member while the other device's commands pass
/// through it. The lines are emulated serial lines, so frames are on the wire while devices restart, as on a real chain.
/// </summary>
public sealed class MixedChainTurnsTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <param name="count">Devices on the chain.</param>
    /// <param name="byItself">The chain position of the device without the Multicast feature (written by itself).</param>
    /// <param name="seed">Picks the profiles (runs with different devices).</param>
    [Theory]
    [InlineData(3, 1, 150)]
    [InlineData(3, 0, 154)]
    [InlineData(4, 1, 158)]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Group_members_and_a_device_written_by_itself_take_turns_together_on_a_chain(int count, int byItself, int seed)
    {
        DeviceProfile[] profiles = Enumerable.Range(seed, count).Select(i => DeviceKit.Profile(i)).ToArray();
        profiles[byItself] = MulticastTests.WithoutMulticast(profiles[byItself]);
        var events = new UpdaterEvents { MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Debug };
        await using Rig rig = await Rig.RestartWatchedChainAsync(profiles, Rig.FastOptions(), events);
        Assert.False(rig.Devices[byItself].Rules!.BootloaderFeatures.HasFlag(Csa.Rpc.Device.FeatureFlags.Multicast));
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: 48_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = await rig.Updater.UpdateManyAsync(rig.Devices, image, cancellationToken: guard.Token);

        output.WriteLine(events.ToString());
        Assert.Equal(rig.Devices.Select(d => d.Uid), rows.Select(r => r.Device));
        for (int i = 0; i < count; i++)
        {
            Assert.True(rows[i].Succeeded, rows[i].FailureReason);
            Assert.Equal(DeviceKit.V2, rows[i].VersionAfter);
            // Every member expected in the group finished in it; the device without the feature by itself.
            Assert.Equal(i != byItself, rows[i].Result!.Multicast);
            VirtualDevice device = rig.Virtual[i];
            Assert.Equal(VirtualDeviceState.Application, device.State);
            Assert.Equal(image.Payload.ToArray(), device.Flash.ReadRaw(device.Profile.MemoryMap.Application.Address, image.Payload.Length));
        }
        Rig.AssertNothingLostToARestart(events, rows);
    }
}

using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;
using Csa.Testing;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// Every device of a daisy chain updated at once, each by its own (unicast) transfer: <see cref="FirmwareUpdater.InstallAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/>,
/// and <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/>
/// with multicast off. A device forwards nothing while it restarts, so a restart must not cut off a command to a device
/// behind it (docs/updates.md section 10): that command would be lost and cost its whole timeout (with a flash
/// device's erase allowance, seconds). The lines are emulated serial lines, so frames are on the wire while devices
/// restart, as on a real chain.
/// </summary>
public sealed class ConcurrentUnicastChainTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <param name="count">Devices on the chain.</param>
    /// <param name="maxParallel">At most this many at once: with fewer than <paramref name="count"/>, a device's turn starts when another's ends.</param>
    /// <param name="frontLast">The devices listed from the end of the chain, the second from the end with an image four
    /// times the others': with fewer slots than devices, the last device's slot goes to the device in front of the
    /// others while that one is still writing (the new device's restart into its bootloader would cut it off).</param>
    /// <param name="updateMany">Through <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, FirmwareImage, int, IProgress{UpdateProgress}?, CancellationToken)"/> with multicast off, not InstallAsync.</param>
    [Theory]
    [InlineData(2, 2, false, false)]
    [InlineData(3, 3, false, false)]
    [InlineData(3, 3, false, true)]
    [InlineData(3, 2, true, false)]
    [Trait("Requirement", "REQ-INST")]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Concurrent_unicast_on_a_chain_loses_no_command_to_another_devices_restart(int count, int maxParallel, bool frontLast, bool updateMany)
    {
        DeviceProfile[] profiles = Enumerable.Range(120 + count * 10 + maxParallel * 2 + (updateMany ? 1 : 0), count).Select(i => DeviceKit.Profile(i)).ToArray();
        var events = new UpdaterEvents { MinimumLevel = Microsoft.Extensions.Logging.LogLevel.Debug };
        await using Rig rig = await Rig.RestartWatchedChainAsync(profiles, Rig.FastOptions() with { Multicast = false }, events);
        FirmwareImage image = DeviceKit.App(profiles[0], DeviceKit.V2, size: 48_000, counter: 2);
        FirmwareImage large = DeviceKit.App(profiles[0], DeviceKit.V2, size: 192_000, counter: 2);
        FirmwareImage ImageOf(DeviceInfo d) => frontLast && d.ChainPosition == count - 2 ? large : image;
        DeviceInfo[] devices = frontLast ? [.. rig.Devices.Reverse()] : [.. rig.Devices];
        using CancellationTokenSource guard = Rig.Guard();

        IReadOnlyList<InstallResult> rows = updateMany
            ? await rig.Updater.UpdateManyAsync(devices, (d, _) => Task.FromResult(ImageOf(d)), maxParallel, cancellationToken: guard.Token)
            : await rig.Updater.InstallAsync(devices, (d, _) => Task.FromResult(ImageOf(d)), maxParallel, cancellationToken: guard.Token);

        output.WriteLine(events.ToString());
        Assert.All(rows, r => Assert.True(r.Succeeded, r.FailureReason));
        Assert.All(rows, r => Assert.Equal(DeviceKit.V2, r.VersionAfter));
        Assert.All(rows, r => Assert.False(r.Result!.Multicast));
        Assert.All(rig.Virtual, d => Assert.Equal(VirtualDeviceState.Application, d.State));
        Assert.All(rig.Devices, d =>
        {
            ReadOnlyMemory<byte> payload = ImageOf(d).Payload;
            VirtualDevice device = rig.Virtual.Single(v => v.Profile.Uid == d.Uid);
            Assert.Equal(payload.ToArray(), device.Flash.ReadRaw(device.Profile.MemoryMap.Application.Address, payload.Length));
        });
        Rig.AssertNothingLostToARestart(events, rows);
    }
}

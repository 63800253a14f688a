using Csa.Rpc.Device;
using System.Collections.Concurrent;
using System.Diagnostics;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates;
using Csa.Bootloader.Protocol;
using Csa.Simulator.Device;
using Csa.Simulator.Firmware;

namespace Csa.Bootloader.Tests.Updates;

/// <summary>
/// The application's answer to EnterBootloader can be lost (on a chain, a device in front of it restarting cuts it off)
/// while the bootloader's start announcement tells the host that the request went, so the host goes on without the
/// answer (docs/updates.md section 3, EnteringBootloader). The RPC client would send that request again after its
/// timeout. CI saw such a resend reach the new application after a multicast update shorter than the timeout: the
/// updated device obeyed it and sat in its bootloader (for EnterBootloaderWaitSeconds, 120 s by default) after its row
/// said it ran the new application. Once the bootloader runs, the request is ended.
/// </summary>
public sealed class AbandonedEnterBootloaderTests
{
    [Fact]
    [Trait("Requirement", "REQ-UPD-APP")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task An_EnterBootloader_whose_answer_was_lost_is_not_sent_again_once_the_bootloader_runs()
    {
        DeviceProfile profile = DeviceKit.Profile(6);
        var retry = new RetryPolicy { Timeout = TimeSpan.FromSeconds(2), Attempts = 2 };
        await using Rig rig = await Rig.StarAsync(1, _ => DeviceKit.Device(profile), Rig.FastOptions() with { Retry = retry });
        var requests = new ConcurrentQueue<long>();
        int answersSeen = 0;
        rig.DropFromHost(0, frame =>
        {
            if (RpcFrames.IsCommand(frame, DeviceInterface.Id, DeviceInterface.Commands.EnterBootloader))
                requests.Enqueue(Stopwatch.GetTimestamp());
            return false;
        });
        rig.DropFromDevice(0, frame => RpcFrames.IsResponse(frame, DeviceInterface.Id, DeviceInterface.Commands.EnterBootloader) && Interlocked.Increment(ref answersSeen) == 1); // the first answer is lost
        FirmwareImage image = DeviceKit.App(profile, DeviceKit.V2, size: 4_000, counter: 2);
        using CancellationTokenSource guard = Rig.Guard();

        UpdateResult result = await rig.Updater.UpdateApplicationAsync(rig.Devices[0], image, null, guard.Token);

        Assert.Equal(DeviceKit.V2, result.VersionAfter);
        Assert.True(requests.TryPeek(out long first), "no EnterBootloader went out");
        // Every resend the RPC client could have made (its attempts times its timeout from the first request) is due by now.
        TimeSpan due = retry.Timeout * retry.Attempts + TimeSpan.FromMilliseconds(500) - Stopwatch.GetElapsedTime(first);
        if (due > TimeSpan.Zero)
            await Task.Delay(due, guard.Token);
        Assert.Equal(1, Volatile.Read(ref answersSeen));
        Assert.Single(requests); // the lost answer's request was never sent again: not to the bootloader, not to the new application
        Assert.Equal(VirtualDeviceState.Application, rig.Virtual[0].State);
        Assert.Equal(DeviceKit.V2, rig.Virtual[0].Firmware.Inventory[RegionKind.Application].Version);
    }
}

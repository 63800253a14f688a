using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;
using DeviceImageKind = Csa.Rpc.Device.ImageKind;

namespace Csa.Bootloader.Tests.Faults;

/// <summary>What to install: the application, or the bootloader (one image linked for each copy).</summary>
internal sealed record UpdatePlan(UpdateTarget Target, FirmwareImage ForApplication, FirmwareImage? ForCopyA, FirmwareImage? ForCopyB, DeviceUid Uid, FirmwareVersion NewVersion)
{
    public static UpdatePlan Application(FirmwareImage image, DeviceUid uid) =>
        new(UpdateTarget.Application, image, null, null, uid, image.Manifest.Version);

    public static UpdatePlan Bootloader(FirmwareImage forA, FirmwareImage forB, DeviceUid uid) =>
        new(UpdateTarget.OtherBootloader, forB, forA, forB, uid, forA.Manifest.Version);
}

/// <summary>
/// The host's side of an update, written so that running it again after ANY interruption (power cut, reset,
/// lost link) finishes the job: it reads where the device stands and continues from there. Nothing in it knows
/// where the previous attempt stopped: the device's journal and resume offset are the only memory.
/// </summary>
/// <remarks>The test-side stand-in for the host updater API (src/Csa.Bootloader/Updates) until that lands.</remarks>
internal static class ResumingUpdateProcedure
{
    // chunk: the largest write the host sends (null: the device's maximum); smaller writes suit noisy lines.
    public static async Task RunAsync(RpcClient rpc, NodeAddress address, UpdatePlan plan, CancellationToken cancellationToken, int? chunk = null)
    {
        using var device = new DeviceClient(rpc, address);
        using var bootloader = new BootloaderClient(rpc, address);

        GetVersionsResponse versions = await device.GetVersionsAsync(cancellationToken);
        if (versions.RunningImage == DeviceImageKind.Application)
        {
            if (plan.Target == UpdateTarget.Application && Matches(versions.ApplicationVersion, plan.NewVersion))
                return;
            if (plan.Target == UpdateTarget.OtherBootloader && Matches(versions.BootloaderVersion, plan.NewVersion))
                return;
            await device.EnterBootloaderAsync(0, cancellationToken);
            await PollAsync(device, v => v.RunningImage == DeviceImageKind.Bootloader, cancellationToken);
        }

        GetStatusResponse status = await bootloader.GetStatusAsync(cancellationToken);
        FirmwareImage image = plan.ForApplication;
        if (plan.Target == UpdateTarget.OtherBootloader)
        {
            RegionStatus running = status.Regions[(int)status.RunningCopy];
            if (Matches(running, plan.NewVersion))
                return; // the new copy committed and runs: done
            image = status.RunningCopy == RegionKind.BootloaderA ? plan.ForCopyB! : plan.ForCopyA!;
        }

        BeginUpdateResponse begin = await bootloader.BeginUpdateAsync(plan.Target, image.ManifestBytes.ToArray(),
            image.AuthenticationBlock.ToArray(), FaultKit.WrappedKey(image, plan.Uid), cancellationToken);
        await WriteFromAsync(bootloader, image, (int)begin.ResumeOffset, Math.Min(chunk ?? begin.MaxWriteSize, begin.MaxWriteSize), cancellationToken);
        await bootloader.FinishUpdateAsync(cancellationToken);
        try
        {
            // 20 ms: the response must leave before the device restarts (with 0 the simulated device can reset first).
            await device.ResetAsync(Csa.Rpc.Device.ResetMode.Normal, 20, cancellationToken);
        }
        catch (RpcTimeoutException)
        {
            // The answer was lost in the restart; what runs afterwards is checked below either way.
        }
        // A host checks what runs after the reset (a bootloader update keeps the device in the bootloader, on the new copy).
        await PollAsync(device, v => plan.Target == UpdateTarget.Application
            ? v.RunningImage == DeviceImageKind.Application && Matches(v.ApplicationVersion, plan.NewVersion)
            : Matches(v.BootloaderVersion, plan.NewVersion), cancellationToken);
    }

    /// <summary>Every write from <paramref name="from"/> at once; the RPC client keeps as many in flight as the device has receive buffers.</summary>
    public static async Task WriteFromAsync(BootloaderClient bootloader, FirmwareImage image, int from, int chunk, CancellationToken cancellationToken)
    {
        var writes = new List<Task>();
        for (int offset = from; offset < image.Payload.Length; offset += chunk)
        {
            byte[] data = image.Payload.Slice(offset, Math.Min(chunk, image.Payload.Length - offset)).ToArray();
            writes.Add(bootloader.WriteAsync((uint)offset, data, cancellationToken));
        }
        await Task.WhenAll(writes);
    }

    private static readonly RpcCallOptions s_poll = new() { Timeout = TimeSpan.FromMilliseconds(250), MaxAttempts = 1, Idempotent = true };

    /// <summary>After a reset the device answers again once it has restarted: ask until <paramref name="done"/> holds.</summary>
    public static async Task PollAsync(DeviceClient device, Func<GetVersionsResponse, bool> done, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (done(await device.GetVersionsAsync(new GetVersionsRequest(), s_poll, cancellationToken)))
                    return;
            }
            catch (RpcTimeoutException) when (attempt < 100)
            {
                // The device is restarting.
            }
            if (attempt >= 100)
                throw new TimeoutException("The device never reported the expected image after its reset.");
            await Task.Delay(5, cancellationToken);
        }
    }

    private static bool Matches(ImageVersion version, FirmwareVersion expected) =>
        version.Major == expected.Major && version.Minor == expected.Minor && version.Patch == expected.Patch && version.Build == expected.Build;

    private static bool Matches(RegionStatus region, FirmwareVersion expected) =>
        region.State == RegionState.Valid && region.VersionMajor == expected.Major && region.VersionMinor == expected.Minor
        && region.VersionPatch == expected.Patch && region.VersionBuild == expected.Build;
}

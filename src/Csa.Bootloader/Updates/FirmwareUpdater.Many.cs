using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Updates.Internal;
using Csa.DataLink;
using FeatureFlags = Csa.Rpc.Device.FeatureFlags;

namespace Csa.Bootloader.Updates;

// Many devices at once, with one transfer per payload where devices share it (multicast, docs/updates.md section 10a).
public sealed partial class FirmwareUpdater
{
    /// <summary>
    /// Updates many devices at once (REQ-INST, REQ-UPD-APP), each with its own image from
    /// <paramref name="imageForDevice"/>, and writes a payload that several devices share only once: to a group address
    /// that all of them take (on a daisy chain every hop carries it once), flow-controlled to the slowest of them, then
    /// what any of them missed again. Each device still gets its own BeginUpdate (its own manifest, bound to it, and its
    /// own wrapped content key), its own FinishUpdate and its own restart, so what each device checks and commits is
    /// exactly what <see cref="UpdateApplicationAsync"/> gives it. A device that leaves the shared transfer (a power cut,
    /// a refusal, a lost link) does not hold up the others and finishes by itself, resuming from what it holds.
    /// </summary>
    /// <remarks>
    /// Shared: application images whose payload bytes are equal (plaintext, or one ciphertext whose content key is wrapped
    /// for each device), on devices whose bootloader advertises <see cref="FeatureFlags.Multicast"/>, when
    /// <see cref="UpdateOptions.Multicast"/> is on and at least two devices share the payload. Everything else (bootloader
    /// images, a payload of its own, a device without the feature) is updated by itself, at most
    /// <paramref name="maxParallel"/> at once, as <see cref="InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/> does,
    /// restarting in turn on a daisy chain as it describes, in one order with the members of the shared transfers
    /// (docs/updates.md section 10): no device restarts while another's frames, or a group's, pass it.
    /// </remarks>
    /// <param name="devices">The devices (as discovered).</param>
    /// <param name="imageForDevice">The image for one device; called for every device first (the shared payloads are found from them).</param>
    /// <param name="maxParallel">At most this many devices updated by themselves at once (the members of a shared transfer all run together).</param>
    /// <param name="progress">Receives every device's reports (<see cref="UpdateProgress.Device"/> tells them apart).</param>
    /// <param name="cancellationToken">Stops every update; the rows of devices not finished then say so.</param>
    /// <param name="rowDone">Called with each device's row as soon as that device is done, succeeded or not (to record it while the others go on); null for none.</param>
    /// <returns>One row per device, in the order given (<see cref="UpdateResult.Multicast"/> says which took the shared transfer).</returns>
    public async Task<IReadOnlyList<InstallResult>> UpdateManyAsync(
        IEnumerable<DeviceInfo> devices,
        Func<DeviceInfo, CancellationToken, Task<FirmwareImage>> imageForDevice,
        int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null,
        CancellationToken cancellationToken = default,
        Func<InstallResult, FirmwareImage?, Task>? rowDone = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        ArgumentNullException.ThrowIfNull(imageForDevice);
        DeviceInfo[] list = DeviceBatch.Validate(devices, maxParallel, nameof(devices), nameof(maxParallel));
        Options.Validate();

        // Every image first: which devices share a payload decides the transfers.
        var images = new (FirmwareImage? Image, Exception? Error)[list.Length];
        await Task.WhenAll(list.Select(async (device, i) =>
        {
            try
            {
                images[i] = (await imageForDevice(device, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"The image callback returned no image for device {device.Uid}."), null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                images[i] = (null, ex);
            }
        })).ConfigureAwait(false);

        var shared = new MulticastTransfer?[list.Length];
        var turns = new ChainTurns?[list.Length];
        var transfers = new List<MulticastTransfer>();
        try
        {
            var groups = new List<int[]>();
            if (Options.Multicast)
            {
                foreach (int[] members in SharedPayloads(list, images))
                {
                    if (Network.AcquireGroup([.. members.Select(i => list[i])]) is not { } group)
                        break; // every group address is taken: the rest go by themselves
                    var transfer = new MulticastTransfer(Network, Options, Logger, group, images[members[0]].Image!.Payload, members.Select(i => list[i].Uid));
                    transfers.Add(transfer);
                    groups.Add(members);
                    foreach (int i in members)
                        shared[i] = transfer;
                }
            }
            // The members of the groups and the devices written each by itself restart in one order on each chain
            // (ChainTurns.Together): neither restarts while the other's frames pass it. The first maxParallel of the
            // devices written by themselves get their slots at once and start together with the groups.
            int[] byThemselves = [.. Enumerable.Range(0, list.Length).Where(i => shared[i] is null)];
            ChainTurns order = ChainTurns.Together(groups.Select(g => g.Select(i => list[i])), byThemselves.Select(i => list[i]),
                byThemselves.Take(maxParallel).Where(i => images[i].Image is { Manifest.Kind: ImageKind.Application }).Select(i => list[i]));
            for (int i = 0; i < list.Length; i++)
                turns[i] = shared[i] is not null || images[i].Image is { Manifest.Kind: ImageKind.Application } ? order : null;
            // The members of a shared transfer run together, outside the slots: a member left waiting would hold up the
            // transfer that the others wait in.
            IProgress<UpdateProgress> reporting = ReportingTo(progress);
            return await DeviceBatch.RunAsync(list, maxParallel, Options.TimeProvider,
                (turn, ct) => UpdateOneAsync(turn, images[turn.Index], shared[turn.Index], turns[turn.Index], reporting, ct),
                (turn, error, elapsed) => InstallRows.Failed(turn.Device, images[turn.Index].Image?.Manifest.Kind, error, elapsed, Logger),
                cancellationToken,
                async (turn, row) =>
                {
                    // A device that stopped before it joined is not waited for.
                    shared[turn.Index]?.Withdraw(turn.Device.Uid);
                    turns[turn.Index]?.Leave(turn.Device.Uid);
                    if (rowDone is not null)
                        await rowDone(row, images[turn.Index].Image).ConfigureAwait(false);
                    return row;
                },
                takesSlot: turn => shared[turn.Index] is null).ConfigureAwait(false);
        }
        finally
        {
            foreach (MulticastTransfer transfer in transfers)
            {
                await transfer.DisposeAsync().ConfigureAwait(false);
                Network.ReleaseGroup(transfer.Group);
            }
        }
    }

    /// <summary>Updates every device with the same image (see the overload with a callback).</summary>
    public Task<IReadOnlyList<InstallResult>> UpdateManyAsync(IEnumerable<DeviceInfo> devices, FirmwareImage image, int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return UpdateManyAsync(devices, (_, _) => Task.FromResult(image), maxParallel, progress, cancellationToken);
    }

    /// <summary>
    /// Updates the bootloaders of many devices (REQ-UPD-BL), each as
    /// <see cref="UpdateBootloaderAsync(DeviceInfo, IReadOnlyList{FirmwareImage}, bool, IProgress{UpdateProgress}?, CancellationToken)"/>
    /// does for one (the other copy first, both copies with <paramref name="updateBothCopies"/>), at most
    /// <paramref name="maxParallel"/> at once. One device's failure does not stop the others.
    /// </summary>
    /// <param name="devices">The devices (as discovered).</param>
    /// <param name="images">One image per bootloader copy, each linked for its copy's address; every device gets the same.</param>
    /// <param name="updateBothCopies">Write the copy that runs too, after the device restarted into the new one.</param>
    /// <param name="maxParallel">At most this many devices at once (devices on one daisy chain share its bandwidth).</param>
    /// <param name="progress">Receives every device's reports (<see cref="UpdateProgress.Device"/> tells them apart).</param>
    /// <param name="cancellationToken">Stops every update; the rows of devices not finished then say so.</param>
    /// <param name="rowDone">Called with each device's row as soon as that device is done, succeeded or not (to record it while the others go on); null for none.</param>
    /// <returns>One row per device, in the order given.</returns>
    /// <exception cref="ArgumentException">No image, or two linked for the same address; a device listed twice.</exception>
    public Task<IReadOnlyList<InstallResult>> UpdateBootloaderAsync(
        IEnumerable<DeviceInfo> devices,
        IReadOnlyList<FirmwareImage> images,
        bool updateBothCopies = false,
        int maxParallel = 4,
        IProgress<UpdateProgress>? progress = null,
        CancellationToken cancellationToken = default,
        Func<InstallResult, Task>? rowDone = null)
    {
        ArgumentNullException.ThrowIfNull(devices);
        CheckBootloaderImages(images);
        DeviceInfo[] list = DeviceBatch.Validate(devices, maxParallel, nameof(devices), nameof(maxParallel));
        Options.Validate();
        IProgress<UpdateProgress> reporting = ReportingTo(progress);
        return RowsAsync();

        async Task<IReadOnlyList<InstallResult>> RowsAsync() => await DeviceBatch.RunAsync(list, maxParallel, Options.TimeProvider, async (turn, ct) =>
            {
                // A plan per device: it remembers the copies planned at that device's first contact.
                UpdatePlan plan = UpdatePlan.ForBootloader(images, updateBothCopies);
                UpdateResult result = await new UpdateRun(this, turn.Device, plan, reporting, ct).RunAsync().ConfigureAwait(false);
                return InstallRows.Succeeded(turn.Device, result, Options.TimeProvider.GetElapsedTime(turn.Started));
            },
            (turn, error, elapsed) => InstallRows.Failed(turn.Device, ImageKind.Bootloader, error, elapsed, Logger),
            cancellationToken,
            rowDone is null ? null : async (_, row) =>
            {
                await rowDone(row).ConfigureAwait(false);
                return row;
            }).ConfigureAwait(false);
    }

    /// <summary>
    /// The sets of devices (indexes, at least two each) that can take one payload together: application images with
    /// equal payload bytes, for devices whose bootloader advertises Multicast.
    /// </summary>
    private static IEnumerable<int[]> SharedPayloads(DeviceInfo[] devices, (FirmwareImage? Image, Exception? Error)[] images) =>
        Enumerable.Range(0, devices.Length)
            .Where(i => images[i].Image is { Manifest.Kind: ImageKind.Application } && TakesMulticast(devices[i]))
            .GroupBy(i => Convert.ToHexString(SHA256.HashData(images[i].Image!.Payload.Span)))
            .Select(g => g.ToArray())
            .Where(members => members.Length >= 2);

    /// <summary>The device's bootloader takes part in transfers to a group (what it reports while the application runs, or itself).</summary>
    internal static bool TakesMulticast(DeviceInfo device) =>
        ((device.Rules?.BootloaderFeatures ?? FeatureFlags.None) | (device.IsInBootloader ? device.Features : FeatureFlags.None)).HasFlag(FeatureFlags.Multicast);

    private async Task<InstallResult> UpdateOneAsync(DeviceTurn turn, (FirmwareImage? Image, Exception? Error) image, MulticastTransfer? shared,
        ChainTurns? turns, IProgress<UpdateProgress> reporting, CancellationToken cancellationToken)
    {
        if (image.Error is { } error)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        if (turns is not null && turns.WrittenByItself(turn.Device.Uid))
            turns.Join(turn.Device.Uid); // its turn started (it had to wait for a slot); it leaves when its row is made
        UpdateResult result = await new UpdateRun(this, turn.Device, PlanFor(image.Image!), reporting, cancellationToken, shared, turns).RunAsync().ConfigureAwait(false);
        return InstallRows.Succeeded(turn.Device, result, Options.TimeProvider.GetElapsedTime(turn.Started));
    }
}

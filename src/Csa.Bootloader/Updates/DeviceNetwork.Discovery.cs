using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates.Internal;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates;

// Discovery: open links, enumerate them, read each device, and find a device again by its unique id.
public sealed partial class DeviceNetwork
{
    /// <summary>
    /// Finds every device: enumerates each enumerated link (a chain gets addresses in chain order from the link's first
    /// address), asks each fixed address, and reads every device's identity, versions, capabilities and, when a
    /// bootloader answers, its status. Links are discovered in parallel. A device that does not answer its RPCs is left
    /// out (and logged). Enumerating a link re-addresses every device on it: do not run it during updates on that link.
    /// </summary>
    /// <returns>The devices, in link order and chain order.</returns>
    /// <exception cref="DataLinkException">A link could not be (re)opened.</exception>
    public async Task<IReadOnlyList<DeviceInfo>> DiscoverAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        IReadOnlyList<DeviceInfo>[] perLink = await Task.WhenAll(_slots.Select(s => DiscoverLinkAsync(s, cancellationToken))).ConfigureAwait(false);
        DeviceInfo[] all = perLink.SelectMany(l => l).ToArray();
        Volatile.Write(ref _devices, all);
        return all;
    }

    /// <summary>
    /// Reads <paramref name="device"/> again at its address (what runs now, its versions, its bootloader status).
    /// </summary>
    /// <exception cref="DeviceNotFoundException">Another device answers at that address.</exception>
    /// <exception cref="RpcTimeoutException">Nothing answers at that address.</exception>
    /// <exception cref="DataLinkException">The link is lost.</exception>
    public async Task<DeviceInfo> RefreshAsync(DeviceInfo device, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ThrowIfDisposed();
        LinkSlot slot = SlotOf(device);
        DeviceInfo info = await ReadInfoAsync(slot, device.Address, device.ChainPosition, device.PathFrameSize, _options.CommandAttempts, cancellationToken).ConfigureAwait(false);
        if (info.Uid != device.Uid)
            throw new DeviceNotFoundException(device.Uid, device.Address, $"{device.Address} is now device {info.Uid}, not {device.Uid}: the link was enumerated again; find the device with FindAsync.");
        Remember(info);
        return info;
    }

    /// <summary>
    /// Finds the device with unique id <paramref name="uid"/>: at its last known address, else by reopening and
    /// enumerating its link again, else on every link.
    /// </summary>
    /// <exception cref="DeviceNotFoundException">No link has it.</exception>
    public Task<DeviceInfo> FindAsync(DeviceUid uid, CancellationToken cancellationToken = default) =>
        LocateAsync(uid, Options.TimeProvider.GetTimestamp(), cancellationToken);

    /// <summary>
    /// Closes and reopens every link (through each <see cref="NetworkLink"/>'s factory) and discovers again: what a
    /// host does after a USB adapter was re-plugged or a gateway restarted.
    /// </summary>
    public async Task<IReadOnlyList<DeviceInfo>> ReconnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        foreach (LinkSlot slot in _slots)
        {
            await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await ReopenLockedAsync(slot, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slot.Gate.Release();
            }
        }
        return await DiscoverAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Finds <paramref name="uid"/> after a fault observed at <paramref name="faultTimestamp"/>: probes its last address
    /// (unless <paramref name="probeLastAddress"/> is false: the device is known to have lost it), then rediscovers its
    /// link unless another caller did so after the fault, then every other link.
    /// </summary>
    internal async Task<DeviceInfo> LocateAsync(DeviceUid uid, long faultTimestamp, CancellationToken cancellationToken, bool probeLastAddress = true)
    {
        ThrowIfDisposed();
        _known.TryGetValue(uid, out DeviceInfo? last);
        if (last is not null)
        {
            DeviceInfo? here = probeLastAddress ? await ProbeAsync(last, cancellationToken).ConfigureAwait(false) : null;
            if (here is not null)
                return here;
            LinkSlot slot = SlotOf(last);
            IReadOnlyList<DeviceInfo>? found = await RediscoverAfterAsync(slot, faultTimestamp, cancellationToken).ConfigureAwait(false);
            DeviceInfo? match = found?.FirstOrDefault(d => d.Uid == uid);
            if (match is not null)
                return match;
            if (found is null)
            {
                // Someone else enumerated this link after our fault: the device should answer where that put it.
                _known.TryGetValue(uid, out DeviceInfo? latest);
                if (latest is not null && (here = await ProbeAsync(latest, cancellationToken).ConfigureAwait(false)) is not null)
                    return here;
            }
        }
        else
        {
            // Never seen: look on every link (a device does not change links, so a known one is only looked for on its own).
            foreach (LinkSlot slot in _slots)
            {
                IReadOnlyList<DeviceInfo>? found = await RediscoverAfterAsync(slot, faultTimestamp, cancellationToken).ConfigureAwait(false);
                DeviceInfo? match = found?.FirstOrDefault(d => d.Uid == uid);
                if (match is not null)
                    return match;
                if (found is null && _known.TryGetValue(uid, out DeviceInfo? seen) && await ProbeAsync(seen, cancellationToken).ConfigureAwait(false) is { } there)
                    return there;
            }
        }
        UpdateLog.DeviceNotFound(_logger, uid.ToString());
        throw new DeviceNotFoundException(uid, last?.Address, last is null
            ? $"Device {uid} was not found on any of the {_slots.Length} link(s)."
            : $"Device {uid} does not answer at {last.Address} and was not found when link {last.LinkName} was enumerated again (off, restarting, or unplugged).");
    }

    /// <summary>
    /// Gives a device that came back without its address (it answered from the unassigned address with its unique id:
    /// the first unassigned device of its link) its old address again, without enumerating the link, which would make
    /// every other device there forget its address too and wait out the chain's end (docs/protocol.md section 7.5).
    /// Null when that did not work (the caller then enumerates).
    /// </summary>
    internal async Task<DeviceInfo?> ReassignAsync(DeviceInfo last, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        LinkSlot slot = SlotOf(last);
        if (slot.Spec.FixedAddresses is not null)
            return null; // configured addresses are not assigned by the host
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (slot.Link is not { IsOpen: true } link)
                return null;
            slot.Readdressed();
            if (await Node.AssignAddressAsync(link, last.Address, cancellationToken).ConfigureAwait(false) is null)
                return null;
        }
        catch (DataLinkException)
        {
            return null;
        }
        finally
        {
            slot.Gate.Release();
        }
        return await ProbeAsync(last, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the device at its last address; null when nothing answers there or another device does. <paramref name="light"/>:
    /// its identity is taken from <paramref name="last"/> when the address still names it (ReadInfoAsync).
    /// </summary>
    internal async Task<DeviceInfo?> ProbeAsync(DeviceInfo last, CancellationToken cancellationToken, TimeSpan? timeout = null, bool light = false)
    {
        LinkSlot slot = SlotOf(last);
        if (slot.Link is not { IsOpen: true })
            return null;
        DeviceInfo? known = light && AddressesUnchangedSince(last) ? last : null;
        try
        {
            DeviceInfo info = await ReadInfoAsync(slot, last.Address, last.ChainPosition, last.PathFrameSize, attempts: 1, cancellationToken, timeout, known).ConfigureAwait(false);
            if (info.Uid != last.Uid)
                return null;
            Remember(info);
            return info;
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            return null;
        }
    }

    /// <summary>
    /// What an update needs of a bootloader that announced its start at <paramref name="last"/>'s address before it
    /// writes: that a bootloader runs, and its receive buffers and packet size (versions and capabilities; the identity
    /// from <paramref name="last"/> when the address still names it). Its status is not asked: it would wait behind the
    /// erase the bootloader starts after BeginUpdate. With the full retry budget.
    /// </summary>
    /// <exception cref="DeviceNotFoundException">Another device answers at that address.</exception>
    internal async Task<DeviceInfo> ReadStartedBootloaderAsync(DeviceInfo last, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        LinkSlot slot = SlotOf(last);
        DeviceInfo? known = AddressesUnchangedSince(last) ? last : null;
        DeviceInfo info = await ReadInfoAsync(slot, last.Address, last.ChainPosition, last.PathFrameSize, _options.CommandAttempts, cancellationToken,
            known: known, withStatus: false).ConfigureAwait(false);
        if (info.Uid != last.Uid)
            throw new DeviceNotFoundException(last.Uid, last.Address, $"{last.Address} is now device {info.Uid}, not {last.Uid}: the link was enumerated again.");
        return info;
    }

    /// <summary>Enumerates <paramref name="slot"/> again unless that happened after <paramref name="faultTimestamp"/> (then null).</summary>
    private async Task<IReadOnlyList<DeviceInfo>?> RediscoverAfterAsync(LinkSlot slot, long faultTimestamp, CancellationToken cancellationToken)
    {
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (slot.LastRediscovered > faultTimestamp && slot.Link is { IsOpen: true })
                return null;
            return await DiscoverLinkLockedAsync(slot, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task<IReadOnlyList<DeviceInfo>> DiscoverLinkAsync(LinkSlot slot, CancellationToken cancellationToken)
    {
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await DiscoverLinkLockedAsync(slot, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task<IReadOnlyList<DeviceInfo>> DiscoverLinkLockedAsync(LinkSlot slot, CancellationToken cancellationToken)
    {
        await EnsureOpenLockedAsync(slot, cancellationToken).ConfigureAwait(false);
        NodeLink link = slot.Link!;
        var found = new List<(NodeAddress Address, int Position, int PathLimit)>();
        if (slot.Spec.FixedAddresses is { } fixedAddresses)
        {
            foreach (NodeAddress address in fixedAddresses)
                found.Add((address, -1, _options.HostMaxFrameSize));
        }
        else
        {
            slot.Readdressed();
            // A link given an address range (AddressesPerLink) holds no more devices than that: enumeration ends there.
            IReadOnlyList<ChainMember> members = _options.AddressesPerLink is { } range
                ? await Node.EnumerateChainAsync(link, slot.FirstAddress, range, cancellationToken).ConfigureAwait(false)
                : await Node.EnumerateChainAsync(link, slot.FirstAddress, cancellationToken).ConfigureAwait(false);
            int pathLimit = _options.HostMaxFrameSize;
            foreach (ChainMember member in members)
            {
                // Frames to a chain member pass every device before it: the smallest limit so far applies.
                pathLimit = Math.Min(pathLimit, member.Capabilities.MaxFrameSize);
                found.Add((member.Address, member.Position, pathLimit));
            }
        }
        slot.LastRediscovered = _options.TimeProvider.GetTimestamp();
        UpdateLog.LinkDiscovered(_logger, slot.Spec.Name, found.Count);

        DeviceInfo?[] infos = await Task.WhenAll(found.Select(async f =>
        {
            try
            {
                return await ReadInfoAsync(slot, f.Address, f.Position, f.PathLimit, _options.CommandAttempts, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsUnreachable(ex))
            {
                UpdateLog.DeviceSilent(_logger, f.Address.ToString(), slot.Spec.Name, ex.Message);
                return null;
            }
        })).ConfigureAwait(false);
        DeviceInfo[] devices = infos.OfType<DeviceInfo>().ToArray();
        foreach (DeviceInfo info in devices)
            Remember(info);
        // Keep the network's list current: replace this link's devices.
        DeviceInfo[] merged = Devices.Where(d => d.LinkIndex != slot.Index).Concat(devices)
            .OrderBy(d => d.LinkIndex).ThenBy(d => d.ChainPosition).ThenBy(d => d.Address.Value).ToArray();
        Volatile.Write(ref _devices, merged);
        return devices;
    }

    /// <summary>
    /// Reads the device at <paramref name="address"/>: identity, versions, capabilities, and a bootloader's status. With
    /// <paramref name="known"/> (a read of the same device whose address still names it, <see cref="AddressesUnchangedSince"/>)
    /// the identity, which no restart changes, is taken from it instead of asked, and the status is asked only of a
    /// bootloader: half the answers' bytes, which a restart's confirmation on a shared line waits for.
    /// </summary>
    /// <remarks>
    /// <paramref name="withStatus"/> false leaves a bootloader's status unasked (<see cref="DeviceInfo.Bootloader"/> null):
    /// the status is a bootloader command, which waits behind the bootloader's flash work (a background erase), while the
    /// identity, versions and capabilities do not. Such a read is stamped as partial: it says where the device is
    /// (<see cref="AddressesUnchangedSince"/>), but it is no first contact (<see cref="IsCurrent"/>).
    /// </remarks>
    private async Task<DeviceInfo> ReadInfoAsync(LinkSlot slot, NodeAddress address, int position, int pathLimit, int attempts, CancellationToken cancellationToken,
        TimeSpan? timeout = null, DeviceInfo? known = null, bool withStatus = true)
    {
        // Stamped with when it started and how the link was addressed then: a re-addressing meanwhile makes it stale.
        long started = _options.TimeProvider.GetTimestamp();
        long generation = slot.AddressGeneration;
        var options = new RpcCallOptions { Timeout = timeout ?? _options.CommandTimeout, MaxAttempts = attempts, Idempotent = true };
        using var device = new DeviceClient(Client, address);
        using var bootloader = new BootloaderClient(Client, address);
        // The questions go out together (the client keeps them within the device's receive buffers): one round trip
        // instead of four, which every restart and resume of an update waits for. The bootloader's status is asked
        // speculatively: an application answers it with an error, which is then ignored.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<GetIdentityResponse>? identityAsked = known is null ? device.GetIdentityAsync(new GetIdentityRequest(), options, stop.Token) : null;
        Task<GetVersionsResponse> versionsAsked = device.GetVersionsAsync(new GetVersionsRequest(), options, stop.Token);
        Task<GetCapabilitiesResponse> capabilitiesAsked = device.GetCapabilitiesAsync(new GetCapabilitiesRequest(), options, stop.Token);
        Task<GetStatusResponse>? statusAsked = known is null && withStatus
            ? bootloader.GetStatusAsync(new GetStatusRequest(), new RpcCallOptions { Timeout = options.Timeout, MaxAttempts = 1, Idempotent = true }, stop.Token)
            : null;
        _ = statusAsked?.ContinueWith(static t => _ = t.Exception, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        GetIdentityResponse? identity;
        GetVersionsResponse versions;
        GetCapabilitiesResponse capabilities;
        try
        {
            identity = identityAsked is null ? null : await identityAsked.ConfigureAwait(false);
            versions = await versionsAsked.ConfigureAwait(false);
            capabilities = await capabilitiesAsked.ConfigureAwait(false);
        }
        catch
        {
            // The first failure is the answer; the other questions are not waited for.
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(new Task?[] { identityAsked, versionsAsked, capabilitiesAsked, statusAsked }.OfType<Task>()).ContinueWith(static _ => { }, CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }
        BootloaderStatus? status = null;
        if (versions.RunningImage == Csa.Rpc.Device.ImageKind.Bootloader && withStatus)
        {
            GetStatusResponse? answered = null;
            try
            {
                answered = statusAsked is null ? null : await statusAsked.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcErrorException or OperationCanceledException || IsUnreachable(ex))
            {
                // Asked while the application still ran, or lost: ask the bootloader again, with the full budget.
            }
            answered ??= await bootloader.GetStatusAsync(new GetStatusRequest(), options, cancellationToken).ConfigureAwait(false);
            status = BootloaderStatus.FromResponse(answered);
        }
        if (identity is not null && identity.Uid.Length != DeviceUid.Length)
            throw new RpcDecodeException($"{address} reported a {identity.Uid.Length}-byte unique id; {DeviceUid.Length} bytes expected.");
        DeviceUid uid = identity is null ? known!.Uid : DeviceUid.FromBytes(identity.Uid);
        UpdateRules? rules = await ReadRulesAsync(device, uid, versions, options, cancellationToken).ConfigureAwait(false);
        var info = new DeviceInfo(
            address, slot.Index, slot.Spec.Name, position, uid, identity?.VendorId ?? known!.VendorId, identity?.DeviceClass ?? known!.DeviceClassId,
            identity?.ProductName ?? known!.ProductName, identity?.HardwareRevision ?? known!.HardwareRevision, identity?.McuDeviceId ?? known!.McuDeviceId,
            versions.RunningImage, versions.ActiveBootloader,
            ToVersion(versions.BootloaderVersion), ToVersion(versions.ApplicationVersion), versions.ApplicationValid, versions.SecurityCounter,
            versions.ProtocolVersion, capabilities.MaxFrameSize, Math.Min(pathLimit, (int)capabilities.MaxFrameSize),
            capabilities.ReceiveBuffers, capabilities.MaxPacketSize, capabilities.Features, status) { Rules = rules };
        return Stamp(info, started, generation, whole: withStatus);
    }

    /// <summary>
    /// The device's update rules (Device.GetUpdateRules), asked once per device and bootloader (they change only with
    /// the bootloader); null when the running image does not answer the command (firmware older than it).
    /// </summary>
    private async Task<UpdateRules?> ReadRulesAsync(DeviceClient device, DeviceUid uid, GetVersionsResponse versions, RpcCallOptions options, CancellationToken cancellationToken)
    {
        // The rules are the bootloader's, answered by the application too; only "not answered" (firmware older than the
        // command) depends on which image was asked, so the application's answer also serves its bootloader.
        var key = new RulesKey(uid, versions.ActiveBootloader, ToVersion(versions.BootloaderVersion));
        if (_rules.TryGetValue(key, out (UpdateRules? Rules, Csa.Rpc.Device.ImageKind AskedOf) known) && (known.Rules is not null || known.AskedOf == versions.RunningImage))
            return known.Rules;
        UpdateRules? rules;
        try
        {
            rules = UpdateRules.FromResponse(await device.GetUpdateRulesAsync(new GetUpdateRulesRequest(), options, cancellationToken).ConfigureAwait(false));
        }
        catch (RpcErrorException e) when (e.Status is RpcStatus.UnknownCommand || DeviceInterface.TryGetError(e, out DeviceError error) && error == DeviceError.NotSupported)
        {
            rules = null;
        }
        _rules[key] = (rules, versions.RunningImage);
        return rules;
    }

    private readonly record struct RulesKey(DeviceUid Uid, BootloaderSlot Copy, FirmwareVersion Version);

    private Task EnsureOpenAsync(LinkSlot slot, CancellationToken cancellationToken) => WithGateAsync(slot, () => EnsureOpenLockedAsync(slot, cancellationToken), cancellationToken);

    private async Task WithGateAsync(LinkSlot slot, Func<Task> action, CancellationToken cancellationToken)
    {
        await slot.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await action().ConfigureAwait(false);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task EnsureOpenLockedAsync(LinkSlot slot, CancellationToken cancellationToken)
    {
        if (slot.Link is { IsOpen: true })
            return;
        await ReopenLockedAsync(slot, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReopenLockedAsync(LinkSlot slot, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (slot.Link is { } old)
        {
            slot.Link = null;
            UpdateLog.LinkReopening(_logger, slot.Spec.Name, old.CloseReason?.Message ?? "reconnect requested");
            await Node.RemoveLinkAsync(old).ConfigureAwait(false);
        }
        ILinkTransport transport = await slot.Spec.OpenAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new DataLinkException($"The factory of link {slot.Spec.Name} returned no transport.");
        NodeLink link = Node.AddLink(transport, LinkRole.Downstream);
        slot.Readdressed();
        slot.Link = link;
        slot.LastRediscovered = _options.TimeProvider.GetTimestamp();
        if (slot.Spec.FixedAddresses is { } fixedAddresses)
        {
            foreach (NodeAddress address in fixedAddresses)
                Node.SetRoute(address, link);
        }
    }

    /// <summary>The link <paramref name="device"/>'s slot has now (null while it is being opened again); a new one means it was reopened.</summary>
    internal NodeLink? LinkOf(DeviceInfo device) => SlotOf(device).Link;

    private LinkSlot SlotOf(DeviceInfo device)
    {
        if ((uint)device.LinkIndex >= (uint)_slots.Length)
            throw new ArgumentException($"The device names link {device.LinkIndex}; this network has {_slots.Length}. Was it discovered by another network?", nameof(device));
        return _slots[device.LinkIndex];
    }

    private void Remember(DeviceInfo info) => _known[info.Uid] = info;

    /// <summary>The device is not there now (off, restarting, link lost): a fault worth looking again for, not a bug.</summary>
    internal static bool IsUnreachable(Exception ex) => ex is RpcTimeoutException or DataLinkException or RpcDecodeException;

    internal static FirmwareVersion ToVersion(ImageVersion version) => new(version.Major, version.Minor, version.Patch, version.Build);
}

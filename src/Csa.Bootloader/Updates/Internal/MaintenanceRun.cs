using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Rpc;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// One maintenance call for one device (<see cref="DeviceMaintenance"/>): the restarts it needs, by the rules the
/// updater follows (docs/updates.md section 3): EnterBootloader sent again while the application keeps answering, Reset
/// sent once per round (a resend reaching the restarted device would restart it again), the device polled at its address
/// for <see cref="UpdateOptions.AddressRetentionGrace"/> and found by its unique id after that.
/// </summary>
internal sealed class MaintenanceRun
{
    /// <summary>How long the device waits after answering Reset before it restarts, so the answer leaves the link.</summary>
    private const ushort ResetDelayMilliseconds = 50;

    /// <summary>How many restarts are asked for before the device staying as it was is a failure (as the updater).</summary>
    private const int MaxRestartRequests = 3;

    /// <summary>How long the application may keep answering after EnterBootloader or Reset(Bootloader) before it is asked again.</summary>
    private static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(3);

    /// <summary>While waiting for a restarted device, its link is enumerated again at most this often.</summary>
    private static readonly TimeSpan RediscoveryInterval = TimeSpan.FromSeconds(2);

    private readonly DeviceNetwork _network;
    private readonly UpdateOptions _options;
    private readonly TimeProvider _time;
    private readonly string _operation;
    private readonly CancellationToken _ct;

    public MaintenanceRun(DeviceNetwork network, UpdateOptions options, DeviceInfo device, string operation, CancellationToken cancellationToken)
    {
        _network = network;
        _options = options;
        _time = options.TimeProvider;
        Device = device;
        _operation = operation;
        _ct = cancellationToken;
    }

    /// <summary>The device as it last answered.</summary>
    public DeviceInfo Device { get; private set; }

    /// <summary>True once this call took the device out of its application into the bootloader.</summary>
    public bool EnteredBootloader { get; private set; }

    /// <summary>Reads the device afresh: at its address, else found again by its unique id.</summary>
    public async Task<DeviceInfo> ContactAsync()
    {
        try
        {
            Device = await _network.RefreshAsync(Device, _ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (DeviceNetwork.IsUnreachable(ex) || ex is DeviceNotFoundException)
        {
            Device = await _network.LocateAsync(Device.Uid, _time.GetTimestamp(), _ct).ConfigureAwait(false);
        }
        return Device;
    }

    /// <summary>
    /// Brings the bootloader up when the application runs: EnterBootloader with <see cref="UpdateOptions.EnterBootloaderWaitSeconds"/>
    /// (the device starts its application by itself after that wait when this host goes away), sent again while the
    /// application keeps answering, until the bootloader answers.
    /// </summary>
    public async Task EnsureBootloaderAsync()
    {
        if (Device.IsInBootloader)
            return;
        await RestartIntoBootloaderAsync(async client =>
            await client.EnterBootloaderAsync(new EnterBootloaderRequest(_options.EnterBootloaderWaitSeconds), CallOptions(), _ct).ConfigureAwait(false)).ConfigureAwait(false);
        EnteredBootloader = true;
    }

    /// <summary>
    /// Reset(Bootloader): the device persists a stay request without a deadline and restarts into its bootloader, where it
    /// stays until it is reset into its application or updated. Asked again while the application keeps answering.
    /// </summary>
    public async Task ResetIntoBootloaderAsync()
    {
        if (Device.IsInBootloader)
        {
            // A resident bootloader restarts too (Reset(Bootloader) in the bootloader is a restart that keeps it resident).
            // It answers in its bootloader whether the Reset reached it or not, so only the Reset's answer or the start
            // it announces says it went; without either it is asked again (a redundant restart is harmless).
            for (int round = 1; ; round++)
            {
                bool went = await SendResetAsync(ResetMode.Bootloader).ConfigureAwait(false);
                await WaitForAsync(d => d.IsInBootloader, "the bootloader to answer after Reset(Bootloader)").ConfigureAwait(false);
                if (went)
                    return;
                if (round == MaxRestartRequests)
                    throw Unconfirmed(ResetMode.Bootloader);
            }
        }
        await RestartIntoBootloaderAsync(async client =>
            await client.ResetAsync(new ResetRequest(ResetMode.Bootloader, ResetDelayMilliseconds), CallOptions(attempts: 1), _ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task RestartIntoBootloaderAsync(Func<DeviceClient, Task> ask)
    {
        _network.NoteChanged(Device.Uid); // reads made before are no first contact for an update (DeviceNetwork.IsCurrent)
        long start = _time.GetTimestamp();
        while (true)
        {
            using (DeviceClient device = _network.CreateDeviceClient(Device))
            {
                try
                {
                    await ask(device).ConfigureAwait(false);
                }
                catch (Exception ex) when (DeviceNetwork.IsUnreachable(ex))
                {
                    // The answer may be lost because the device is already restarting: whether it went is seen below.
                }
            }
            // The application answers before it restarts: asking at once would only reach it on its way down.
            await Task.Delay(TimeSpan.FromMilliseconds(ResetDelayMilliseconds) + _options.RestartPollInterval, _time, _ct).ConfigureAwait(false);
            TimeSpan left = _options.RestartTimeout - _time.GetElapsedTime(start);
            TimeSpan round = left < ResendAfter * 2 ? left : ResendAfter;
            try
            {
                await WaitForAsync(d => d.IsInBootloader, "the bootloader to answer", round).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is MaintenanceFailedException or DeviceNotFoundException
                && _time.GetElapsedTime(start) < _options.RestartTimeout && !Device.IsInBootloader)
            {
                // The application still answers (ask again), or the device is still restarting.
            }
        }
    }

    /// <summary>
    /// Reset(Normal) and waits until the device answers again: with its application when that is valid, else with the
    /// bootloader and the reason it stays (no valid application, an interrupted update, not provisioned). A bootloader
    /// that still answers with nothing but a stay request keeping it resident did not get the Reset: asked again, at most
    /// <see cref="MaxRestartRequests"/> times.
    /// </summary>
    public async Task<DeviceInfo> StartApplicationAsync()
    {
        for (int round = 1; ; round++)
        {
            bool wasInBootloader = Device.IsInBootloader;
            bool went = await SendResetAsync(ResetMode.Normal).ConfigureAwait(false);
            bool mayAskAgain = round < MaxRestartRequests;
            DeviceInfo info = await WaitForAsync(d => !d.IsInBootloader || !IsHeldOnlyByStayRequest(d) || mayAskAgain,
                "the device to answer after Reset(Normal)").ConfigureAwait(false);
            // An application that runs answers the same whether the Reset reached it or not: only the Reset's answer, the
            // start the device announces, or a change between bootloader and application says it restarted. Without any
            // of them, the Reset is sent again.
            if (!went && info.IsInBootloader == wasInBootloader)
            {
                if (mayAskAgain)
                    continue;
                throw Unconfirmed(ResetMode.Normal);
            }
            if (!info.IsInBootloader || !IsHeldOnlyByStayRequest(info))
                return info;
            if (!mayAskAgain)
                throw Failed($"the device was reset {MaxRestartRequests} times but its bootloader stays resident ({info.Bootloader!.StayReason}) with a valid application");
        }
    }

    /// <summary>Puts a device this call took into its bootloader back into its application (when it has a valid one).</summary>
    public async Task<DeviceInfo> RestoreAsync()
    {
        if (!EnteredBootloader || !Device.IsInBootloader)
            return Device;
        if (!Device.ApplicationValid)
            return Device; // nothing to start: the bootloader stays resident and waits for an update
        return await StartApplicationAsync().ConfigureAwait(false);
    }

    /// <summary>After a failure: puts the device back into its application when this call took it out, without letting a second failure hide the first.</summary>
    public async Task TryRestoreAsync()
    {
        try
        {
            await RestoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The device starts its application by itself after EnterBootloaderWaitSeconds.
        }
    }

    /// <summary>Reads the bootloader's status again (the device must be in its bootloader).</summary>
    public async Task<BootloaderStatus> ReadStatusAsync()
    {
        using BootloaderClient client = _network.CreateBootloaderClient(Device);
        GetStatusResponse status = await client.GetStatusAsync(new GetStatusRequest(), CallOptions(), _ct).ConfigureAwait(false);
        Device = Device with { Bootloader = BootloaderStatus.FromResponse(status) };
        return Device.Bootloader!;
    }

    /// <summary>The SHA-256 of <paramref name="length"/> bytes of <paramref name="region"/> from its start (GetRegionHash); null when the device refuses the range.</summary>
    public async Task<byte[]?> HashAsync(RegionKind region, uint length)
    {
        using BootloaderClient client = _network.CreateBootloaderClient(Device);
        try
        {
            GetRegionHashResponse response = await client.GetRegionHashAsync(new GetRegionHashRequest(region, 0, length), CallOptions(), _ct).ConfigureAwait(false);
            return response.Sha256;
        }
        catch (RpcErrorException e) when (BootloaderInterface.TryGetError(e, out BootloaderError code) && code is BootloaderError.RangeNotAllowed)
        {
            return null;
        }
    }

    /// <summary>
    /// Offers <paramref name="image"/> for the application (BeginUpdate: the device checks it and erases the region's
    /// commit slots) and abandons the update at once (AbortUpdate): the old application is no longer valid.
    /// </summary>
    /// <exception cref="UpdateRejectedException">The device refused the image; nothing was erased.</exception>
    public async Task OfferAndAbandonAsync(FirmwareImage image)
    {
        byte[] wrappedKey = [];
        if (image.Manifest.Encryption != ImageEncryption.None)
        {
            wrappedKey = image.FindWrappedKey(Device.Uid)?.WrappedKey.ToArray()
                ?? throw new UpdateRejectedException(Device.Uid, ImageRejection.NoKeyForThisDevice, $"The encrypted image has no wrapped key for device {Device.Uid}.");
        }
        using BootloaderClient client = _network.CreateBootloaderClient(Device);
        BeginUpdateResponse begin;
        try
        {
            // BeginUpdate erases the trailer's sector before it answers: the erase allowance of the updater's first offer.
            begin = await client.BeginUpdateAsync(new BeginUpdateRequest(UpdateTarget.Application, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), wrappedKey),
                new RpcCallOptions { Timeout = _options.CommandTimeout + (_options.EraseTimeout ?? TimeSpan.FromMilliseconds(4000)), MaxAttempts = _options.CommandAttempts, Idempotent = true },
                _ct).ConfigureAwait(false);
        }
        catch (RpcErrorException e) when (BootloaderInterface.TryGetError(e, out BootloaderError code) && IsRefusal(code))
        {
            throw new UpdateRejectedException(Device.Uid, code, e.Message, e);
        }
        _ = begin;
        await client.AbortUpdateAsync(new AbortUpdateRequest(), CallOptions(), _ct).ConfigureAwait(false);
    }

    private static bool IsRefusal(BootloaderError code) => code is BootloaderError.BadManifest or BootloaderError.UnknownKey or BootloaderError.BadSignature
        or BootloaderError.WrongTarget or BootloaderError.NotBoundToThisDevice or BootloaderError.SecurityCounterTooLow or BootloaderError.WrongLocation
        or BootloaderError.EncryptionRequired or BootloaderError.KeyUnwrapFailed or BootloaderError.NotProvisioned or BootloaderError.NotAllowed or BootloaderError.Busy;

    /// <summary>Nothing keeps the bootloader resident but a stay request (or the update it found and has completed): the application is valid and no update is being received.</summary>
    private static bool IsHeldOnlyByStayRequest(DeviceInfo device) =>
        device.ApplicationValid && device.Bootloader is { Phase: not UpdatePhase.Receiving } status
        && status.StayReason is StayReason.Requested or StayReason.UpdateInProgress
        && status.GetRegion(RegionKind.Application).State == RegionState.Valid;

    /// <summary>Every Reset(<paramref name="mode"/>) went unconfirmed (<see cref="SendResetAsync"/> returned false each time).</summary>
    private MaintenanceFailedException Unconfirmed(ResetMode mode) =>
        Failed($"Reset({mode}) was sent {MaxRestartRequests} times, and neither its answer nor the device's start announcement came back: whether it restarted is unknown");

    /// <summary>
    /// Sends Reset(<paramref name="mode"/>) once and lets the restart happen. True when the device is known to have got
    /// it: it answered, or it announced its start (Device.StateChanged from Starting) meanwhile. False when neither came
    /// back: the Reset or only its answer was lost, which the device's state afterwards may not tell apart.
    /// </summary>
    private async Task<bool> SendResetAsync(ResetMode mode)
    {
        _network.NoteChanged(Device.Uid); // reads made before are no first contact for an update (DeviceNetwork.IsCurrent)
        using var started = new StartAnnouncement(_network, Device.Address); // before the request: the start may overtake its answer
        bool answered = false;
        using (DeviceClient device = _network.CreateDeviceClient(Device))
        {
            try
            {
                // One attempt: a resend reaching the restarted device would restart it a second time.
                await device.ResetAsync(new ResetRequest(mode, ResetDelayMilliseconds), CallOptions(attempts: 1), _ct).ConfigureAwait(false);
                answered = true;
            }
            catch (Exception ex) when (DeviceNetwork.IsUnreachable(ex))
            {
                // Lost answer: the device may have restarted; its announcement or the wait that follows decides.
            }
        }
        // The device answers before it restarts: asking at once would only reach it on its way down. Its announcement
        // (it runs again) ends the pause early.
        await started.WaitAsync(TimeSpan.FromMilliseconds(ResetDelayMilliseconds) + _options.RestartPollInterval, _time, _ct).ConfigureAwait(false);
        return answered || started.Heard;
    }

    /// <summary>
    /// Polls the device until <paramref name="condition"/> holds: at its address during
    /// <see cref="UpdateOptions.AddressRetentionGrace"/>, then by finding it again by its unique id.
    /// </summary>
    private async Task<DeviceInfo> WaitForAsync(Func<DeviceInfo, bool> condition, string what, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? _options.RestartTimeout;
        long start = _time.GetTimestamp();
        DeviceInfo? last = null;
        while (true)
        {
            _ct.ThrowIfCancellationRequested();
            DeviceInfo? now;
            if (_time.GetElapsedTime(start) < _options.AddressRetentionGrace)
            {
                now = await _network.ProbeAsync(Device, _ct, _options.RestartProbeTimeout < _options.CommandTimeout ? _options.RestartProbeTimeout : _options.CommandTimeout).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    long notBefore = _time.GetTimestamp() - (long)(RediscoveryInterval.TotalSeconds * _time.TimestampFrequency);
                    now = await _network.LocateAsync(Device.Uid, notBefore, _ct).ConfigureAwait(false);
                }
                catch (DeviceNotFoundException)
                {
                    now = null;
                }
            }
            if (now is not null)
            {
                Device = now;
                last = now;
                if (condition(now))
                    return now;
            }
            if (_time.GetElapsedTime(start) >= limit)
            {
                if (last is not null)
                    throw Failed($"waited {limit.TotalSeconds:0.#} s for {what}; the device answers, but {Describe(last)}");
                throw new DeviceNotFoundException(Device.Uid, Device.Address, $"Device {Device.Uid} did not answer within {limit.TotalSeconds:0.#} s while waiting for {what}.");
            }
            await Task.Delay(_options.RestartPollInterval, _time, _ct).ConfigureAwait(false);
        }
    }

    public MaintenanceFailedException Failed(string message) => new(Device.Uid, _operation, message);

    private RpcCallOptions CallOptions(int? attempts = null) =>
        new() { Timeout = _options.CommandTimeout, MaxAttempts = attempts ?? _options.CommandAttempts, Idempotent = true };

    private static string Describe(DeviceInfo device) => device.Bootloader is { } status
        ? $"its bootloader ({status.RunningCopy}) stays resident ({status.StayReason}), application {(device.ApplicationValid ? "valid" : "not valid")}"
        : $"its application {device.ApplicationVersion} runs under bootloader {device.ActiveBootloader} {device.BootloaderVersion}";
}

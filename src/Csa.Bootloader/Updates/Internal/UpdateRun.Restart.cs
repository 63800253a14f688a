using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;

namespace Csa.Bootloader.Updates.Internal;

// Restarts: into the bootloader, into the new image, and waiting for the device to answer again.
internal sealed partial class UpdateRun
{
    /// <summary>
    /// How long the device waits after its answer to Reset has left its link before it restarts (the device waits for
    /// the transmission to complete first, device-model.md 7.3): a margin, not the answer's time on the wire.
    /// </summary>
    private const ushort ResetDelayMilliseconds = 10;

    /// <summary>How long the application may take to restart after its EnterBootloader answer before the host asks (unless it announces itself sooner).</summary>
    private static readonly TimeSpan EnterBootloaderPause = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Asks the running application to restart into the bootloader and waits until the bootloader answers. The request
    /// is sent again while the application keeps answering (a lost request, or an application that was busy), which is
    /// harmless: the bootloader answers EnterBootloader at once. With <paramref name="overlapRead"/> (the application flow,
    /// <see cref="MayOverlapBootloaderRead"/>), a bootloader that announces its start from the device's address ends the
    /// wait at once: its read goes out then and is taken with BeginUpdate's answer (<see cref="TakeBootloaderReadAsync"/>).
    /// </summary>
    private async Task EnterBootloaderAsync(bool overlapRead = false)
    {
        Enter(UpdateStage.EnteringBootloader);
        long start = _time.GetTimestamp();
        while (true)
        {
            NodeLink? askedOver = _network.LinkOf(_device);
            DeviceInfo before = _device; // as read before the request: its address is the one the start must come from
            using var started = new StartAnnouncement(_network, _device.Address);
            // Ends this round's request when the round ends. The RPC client sends a request again after its timeout, and
            // an abandoned one (its answer lost to a restart, its start announced) would otherwise reach the device after
            // an update shorter than that timeout: the new application would obey it and wait in its bootloader again.
            using var request = CancellationTokenSource.CreateLinkedTokenSource(_ct);
            try
            {
                using (DeviceClient device = _network.CreateDeviceClient(_device))
                {
                    Task<EnterBootloaderResponse> asked = device.EnterBootloaderAsync(new EnterBootloaderRequest(_options.EnterBootloaderWaitSeconds), CallOptions(), request.Token);
                    _turns?.EnterRequested(_uid); // on its way: the device in front of it may be asked now
                    await AnswerOrStartAsync(asked, started, EnterBootloaderPause).ConfigureAwait(false);
                }
                // The application answers before it restarts: asking at once would only reach it on its way down. The
                // bootloader's announcement ends the pause as soon as it runs.
                await started.WaitAsync(EnterBootloaderPause + _options.RestartPollInterval, _time, _ct).ConfigureAwait(false);
                TimeSpan left = _options.RestartTimeout - _time.GetElapsedTime(start);
                TimeSpan round = left < EnterBootloaderResendAfter * 2 ? left : EnterBootloaderResendAfter;
                try
                {
                    // A bootloader that announces its start (now, or while the probes wait: a chip's start-up checks take
                    // longer than the pause) ends the wait when its read may go out with BeginUpdate, as long as nothing
                    // re-addressed the link since the device was asked: another run's enumeration (a device on the chain
                    // that lost its power) could have given its address to another device, whose start is no answer. A
                    // device that answers over a link opened since the request lost its port with its power: it restarted,
                    // and if its application runs the request was lost with it, so it is asked again now, not after the
                    // resend pause.
                    bool AnnouncedByIt(DeviceState? state) => IsBootloaderState(state) && _network.AddressesUnchangedSince(before);
                    DeviceInfo? found = await WaitForAsync(d => d.IsInBootloader || !ReferenceEquals(_network.LinkOf(d), askedOver),
                        "the bootloader to answer after EnterBootloader", round, started, overlapRead ? AnnouncedByIt : null).ConfigureAwait(false);
                    if (found is { IsInBootloader: false })
                    {
                        if (_time.GetElapsedTime(start) >= _options.RestartTimeout)
                            throw Mismatch($"Waited {_options.RestartTimeout.TotalSeconds:0.#} s for the bootloader to answer after EnterBootloader; the device restarted into its application each time.");
                        continue;
                    }
                    _enteredBootloader = true; // a refusal from now on restarts the application (it stays intact until BeginUpdate)
                    await request.CancelAsync().ConfigureAwait(false); // it went: no resend may follow it, not even while turns are waited for
                    if (_turns is not null)
                    {
                        // It runs its bootloader; on a chain, the devices in front of it that restart with it are waited for
                        // before its first questions (a question that meets one of them restarting is lost).
                        _turns.Back(_uid);
                        await _turns.AfterEnterAsync(_uid, _ct).ConfigureAwait(false);
                    }
                    if (found is null)
                        StartBootloaderRead();
                    return;
                }
                catch (Exception ex) when (ex is UpdateFailedException or DeviceNotFoundException
                    && _time.GetElapsedTime(start) < _options.RestartTimeout && !_device.IsInBootloader)
                {
                    // The application still answers (ask again), or the device is still restarting (asking again reaches it
                    // once it is back; a bootloader answers at once).
                }
            }
            finally
            {
                await request.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>While waiting for a restarted device, its link is enumerated again at most this often.</summary>
    private static readonly TimeSpan RediscoveryInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long the application may keep answering after EnterBootloader before the request is sent again.</summary>
    private static readonly TimeSpan EnterBootloaderResendAfter = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Restarts the device (Reset with a short delay), tolerating an answer lost to the restart itself. Returns the
    /// device's start announcement, still listening, for the wait that follows (the caller disposes it).
    /// </summary>
    private async Task<StartAnnouncement> ResetAsync(ResetMode mode)
    {
        Enter(UpdateStage.Restarting);
        var started = new StartAnnouncement(_network, _device.Address);
        try
        {
            await AskResetAsync(mode, started).ConfigureAwait(false);
            return started;
        }
        catch
        {
            started.Dispose();
            throw;
        }
    }

    private async Task AskResetAsync(ResetMode mode, StartAnnouncement started)
    {
        using (DeviceClient device = _network.CreateDeviceClient(_device))
        {
            // One attempt: a resend reaching the restarted device would restart it a second time.
            Task<ResetResponse> asked = device.ResetAsync(new ResetRequest(mode, ResetDelayMilliseconds), CallOptions(attempts: 1), _ct);
            _turns?.ResetRequested(_uid); // on its way: the device in front of it may be asked now
            await AnswerOrStartAsync(asked, started, TimeSpan.FromMilliseconds(ResetDelayMilliseconds)).ConfigureAwait(false);
        }
        // Let the restart happen before asking: the device answers until its reset delay has passed. Its announcement
        // (it runs again) ends the pause early.
        await started.WaitAsync(TimeSpan.FromMilliseconds(ResetDelayMilliseconds) + _options.RestartPollInterval, _time, _ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits for the answer to a request that restarts the device, but no longer than needed: the device's announcement
    /// that it started again, or (both lost: on a daisy chain a device in front of it may be restarting at that moment)
    /// its restart pause and one probe timeout, end the wait; the probes that follow decide whether it went. A lost
    /// answer therefore costs a probe, not a command timeout. The request itself is not cancelled: on a busy link it may
    /// not even have left yet (it waits behind other frames), and it must still go; it ends by its own answer, its
    /// timeout, or the caller's cancellation once the device is seen restarted (EnterBootloader), unobserved.
    /// </summary>
    private async Task AnswerOrStartAsync(Task asked, StartAnnouncement started, TimeSpan restartPause)
    {
        using var pause = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        Task ended = await Task.WhenAny(asked, started.HeardAsync, Task.Delay(restartPause + ProbeTimeout, _time, pause.Token)).ConfigureAwait(false);
        await pause.CancelAsync().ConfigureAwait(false);
        if (ended != asked)
        {
            _ = asked.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _ct.ThrowIfCancellationRequested();
            return; // whether it went is seen below
        }
        try
        {
            await asked.ConfigureAwait(false);
        }
        catch (Exception ex) when (DeviceNetwork.IsUnreachable(ex))
        {
            // The answer may be lost because the device is already restarting: whether it went is seen below.
        }
    }

    /// <summary>How many times a restart (into the application, or into the other bootloader copy) is asked for before the device staying as it was is a failure.</summary>
    private const int MaxRestartRequests = 3;

    /// <summary>
    /// Restarts the device into its application and waits until the application answers. The device forgets its
    /// stay-in-bootloader request while it handles Reset(Normal); a power cut at that flash write (or a restart
    /// that overtook it) brings the bootloader back, resident only because of that request although the
    /// application is valid. A Reset lost on its way (its one attempt; a link reopened meanwhile) leaves the bootloader
    /// running with the stay reason of its last start, e.g. the interrupted update it has since completed. Such a device
    /// is asked to restart again, at most <see cref="MaxRestartRequests"/> times in all; a redundant restart is harmless.
    /// </summary>
    private Task<DeviceInfo> StartApplicationAsync(string what) =>
        RestartUntilAsync(ResetMode.Normal, d => !d.IsInBootloader, IsHeldOnlyByStayRequest, what);

    /// <summary>
    /// Sends Reset(<paramref name="mode"/>) and waits until <paramref name="done"/> holds. Reset has one attempt (a resend
    /// could restart the restarted device again), so while the device still answers as it did before
    /// (<paramref name="unchanged"/>) the Reset was lost on its way and is sent again, at most
    /// <see cref="MaxRestartRequests"/> times in all; after the last, only <paramref name="done"/> ends the wait.
    /// </summary>
    private async Task<DeviceInfo> RestartUntilAsync(ResetMode mode, Func<DeviceInfo, bool> done, Func<DeviceInfo, bool> unchanged, string what)
    {
        for (int start = 1; ; start++)
        {
            using StartAnnouncement started = await ResetAsync(mode).ConfigureAwait(false);
            Enter(UpdateStage.Confirming);
            bool mayRestartAgain = start < MaxRestartRequests;
            // The device's identity is known: the questions after its restart ask what runs (ReadInfoAsync's light read).
            DeviceInfo info = (await WaitForAsync(d => done(d) || (mayRestartAgain && unchanged(d)), what, started: started, light: true).ConfigureAwait(false))!;
            if (done(info))
                return info;
        }
    }

    /// <summary>Nothing keeps the bootloader resident any more: the application is valid, no update is being received, and it stays only because it was asked to or because of what it found at its last start.</summary>
    private static bool IsHeldOnlyByStayRequest(DeviceInfo device) =>
        device.ApplicationValid && device.Bootloader is { Phase: not Csa.Bootloader.Protocol.UpdatePhase.Receiving } status
        && status.StayReason is Csa.Bootloader.Protocol.StayReason.Requested or Csa.Bootloader.Protocol.StayReason.UpdateInProgress
        && status.GetRegion(Csa.Bootloader.Protocol.RegionKind.Application).State == Csa.Bootloader.Protocol.RegionState.Valid;

    /// <summary>
    /// Polls the device until <paramref name="condition"/> holds: at its address during
    /// <see cref="UpdateOptions.AddressRetentionGrace"/> (a reset keeps the address), then by finding it again (a
    /// power cut loses it). Throws <see cref="DeviceNotFoundException"/> after <see cref="UpdateOptions.RestartTimeout"/>.
    /// With <paramref name="started"/>, the device's announcement that it runs again cuts short a question that is out
    /// (one sent while it restarted is lost: a chip's start-up checks take a few hundred milliseconds, longer than the
    /// pause before the first question) and the pause between questions: it is asked again at once. When
    /// <paramref name="enough"/> accepts the announced state, the wait ends there and null is returned (the caller reads
    /// the device itself).
    /// </summary>
    private async Task<DeviceInfo?> WaitForAsync(Func<DeviceInfo, bool> condition, string what, TimeSpan? timeout = null,
        StartAnnouncement? started = null, Func<DeviceState?, bool>? enough = null, bool light = false)
    {
        TimeSpan limit = timeout ?? _options.RestartTimeout;
        long start = _time.GetTimestamp();
        DeviceInfo? last = null;
        long lastSeen = start;
        while (true)
        {
            _ct.ThrowIfCancellationRequested();
            if (enough is not null && started is { Heard: true } && enough(started.State))
                return null;
            TimeSpan elapsed = _time.GetElapsedTime(start);
            DeviceInfo? now;
            // A reset keeps the address; a link that closed under the device (its port went with its power) tells it was
            // lost: no point asking at the old address then.
            if (elapsed < _options.AddressRetentionGrace && _network.LinkOf(_device) is { IsOpen: true })
            {
                // A short timeout: a question that reached the device on its way down is lost, and waiting the full
                // command timeout for it would only delay the next question.
                (now, bool overtaken) = await ProbeUnlessAnnouncedAsync(started, light).ConfigureAwait(false);
                if (overtaken)
                    continue; // it runs again now: ask at once
            }
            else
            {
                try
                {
                    // Enumerating re-addresses the whole link: at most once per RediscoveryInterval while polling.
                    long notBefore = _time.GetTimestamp() - (long)(RediscoveryInterval.TotalSeconds * _time.TimestampFrequency);
                    now = await _network.LocateAsync(_uid, notBefore, _ct).ConfigureAwait(false);
                }
                catch (DeviceNotFoundException)
                {
                    now = null;
                }
            }
            if (now is not null)
            {
                _device = now;
                last = now;
                lastSeen = _time.GetTimestamp();
                if (condition(now))
                    return now;
            }
            if (_time.GetElapsedTime(start) >= limit)
            {
                if (last is not null)
                    throw Mismatch($"Waited {limit.TotalSeconds:0.#} s for {what}; the device last answered {_time.GetElapsedTime(lastSeen).TotalSeconds:0.#} s ago, when {Describe(last)}.");
                throw new DeviceNotFoundException(_uid, _device.Address, $"Device {_uid} did not answer within {limit.TotalSeconds:0.#} s while waiting for {what}.");
            }
            if (started is { Heard: false })
            {
                using var pause = CancellationTokenSource.CreateLinkedTokenSource(_ct);
                await Task.WhenAny(Task.Delay(_options.RestartPollInterval, _time, pause.Token), started.HeardAsync).ConfigureAwait(false);
                await pause.CancelAsync().ConfigureAwait(false);
                _ct.ThrowIfCancellationRequested();
            }
            else
            {
                await Task.Delay(_options.RestartPollInterval, _time, _ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Asks the device at its address with a short timeout; when <paramref name="started"/> hears the device announce its
    /// start while the question is out, the question is dropped (it was lost in the restart, or its answer comes from
    /// before it) and <c>Overtaken</c> says so.
    /// </summary>
    private async Task<(DeviceInfo? Info, bool Overtaken)> ProbeUnlessAnnouncedAsync(StartAnnouncement? started, bool light)
    {
        if (started is null || started.Heard)
            return (await _network.ProbeAsync(_device, _ct, ProbeTimeout, light).ConfigureAwait(false), false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        Task<DeviceInfo?> probe = _network.ProbeAsync(_device, stop.Token, ProbeTimeout, light);
        if (await Task.WhenAny(probe, started.HeardAsync).ConfigureAwait(false) == probe)
            return (await probe.ConfigureAwait(false), false);
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await probe.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_ct.IsCancellationRequested)
        {
            // dropped: the device runs again, and is asked again at once
        }
        _ct.ThrowIfCancellationRequested();
        return (null, true);
    }

    private static string Describe(DeviceInfo device) => device.Bootloader is { } status
        ? $"its bootloader ({status.RunningCopy}) stays resident ({status.StayReason}), application {(device.ApplicationValid ? "valid" : "not valid")}"
        : $"its application {device.ApplicationVersion} runs under bootloader {device.ActiveBootloader} {device.BootloaderVersion}";
}

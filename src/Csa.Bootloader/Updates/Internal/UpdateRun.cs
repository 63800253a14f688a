using System.Runtime.ExceptionServices;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Rpc.Device;
using Microsoft.Extensions.Logging;

namespace Csa.Bootloader.Updates.Internal;

/// <summary>
/// One update call for one device: the attempt (application or bootloader flow) and the resume loop around it. Every
/// attempt starts from what the device reports, so an attempt after a fault simply continues where the device is:
/// in the application (enter the bootloader again), in the bootloader with the transfer half done (BeginUpdate of the
/// same image answers where to resume), or already running the new image (only the confirmation is left).
/// </summary>
internal sealed partial class UpdateRun
{
    private readonly DeviceNetwork _network;
    private readonly UpdateOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly UpdatePlan _plan;
    private readonly IProgress<UpdateProgress>? _progress;
    private readonly CancellationToken _ct;
    private readonly DeviceUid _uid;
    private readonly RateMeter _rate;
    private readonly long _started;
    private DeviceInfo _device;
    private UpdateStage _stage = UpdateStage.Connecting;
    private long _bytesSent;
    private long _bytesResumed;
    private int _resumeCount;
    private int _step = 1;
    private long _legDone;
    private long _legTotal;
    private long _legResumed;
    private int _imagesWritten;
    private bool _versionBeforeKnown;
    private FirmwareVersion? _versionBefore;
    private bool _begun;
    private bool _enteredBootloader;
    private DeviceReturnedException? _returned;
    private readonly MulticastTransfer? _shared;
    private readonly object _progressLock = new();
    private bool _multicast;

    private readonly ChainTurns? _turns;

    public UpdateRun(FirmwareUpdater updater, DeviceInfo device, UpdatePlan plan, IProgress<UpdateProgress>? progress, CancellationToken cancellationToken,
        MulticastTransfer? shared = null, ChainTurns? turns = null)
    {
        _shared = shared;
        _turns = turns;
        _network = updater.Network;
        _options = updater.Options;
        _time = _options.TimeProvider;
        _logger = updater.Logger;
        _plan = plan;
        _progress = progress;
        _ct = cancellationToken;
        _device = device;
        _uid = device.Uid;
        _rate = new RateMeter(_time, _options.RateWindow);
        _started = _time.GetTimestamp();
    }

    private int StepCount => _plan.Target == UpdateTarget.Application ? 1 : (_plan.BothCopies ? 2 : 1);

    private string Uid => _uid.ToString();

    public async Task<UpdateResult> RunAsync()
    {
        try
        {
            return await RunAttemptsAsync().ConfigureAwait(false);
        }
        finally
        {
            // Whatever this run did to the device, reads of it made before are no first contact for the next run.
            _network.NoteChanged(_uid);
        }
    }

    private async Task<UpdateResult> RunAttemptsAsync()
    {
        Exception? fault = null;
        long faultAt = 0;
        while (true)
        {
            try
            {
                if (fault is not null)
                {
                    if (_resumeCount >= _options.MaxResumeAttempts)
                        throw Failed(fault);
                    _resumeCount++;
                    UpdateLog.Resuming(_logger, fault, Uid, _stage, fault.Message, _resumeCount, _options.MaxResumeAttempts);
                    Enter(UpdateStage.Connecting);
                    // A device that announced its return is there now: no pause, and one that came back without its
                    // address is found by enumerating its link (asking at the old address would only time out).
                    if (fault is not DeviceReturnedException)
                        await Task.Delay(_options.ResumeDelay, _time, _ct).ConfigureAwait(false);
                    DeviceInfo? back = fault is DeviceReturnedException { LostAddress: true, Identified: true }
                        ? await _network.ReassignAsync(_device, _ct).ConfigureAwait(false)
                        : null;
                    bool probeOldAddress = fault is not DeviceReturnedException { LostAddress: true };
                    fault = null;
                    _device = back ?? await _network.LocateAsync(_uid, faultAt, _ct, probeOldAddress).ConfigureAwait(false);
                }
                else
                {
                    Enter(UpdateStage.Connecting);
                    _device = await FirstContactAsync().ConfigureAwait(false);
                }
                _begun = false;
                _returned = null;
                ForgetBootloaderRead();
                _turns?.Contacted(_uid);
                await AuthenticateDeviceAsync().ConfigureAwait(false);
                UpdateResult result = _plan.Target == UpdateTarget.Application
                    ? await RunApplicationAttemptAsync().ConfigureAwait(false)
                    : await RunBootloaderAttemptAsync().ConfigureAwait(false);
                UpdateLog.Completed(_logger, Uid, result.Target.ToString(), result.VersionAfter.ToString(), result.BytesSent, result.BytesResumed, result.ResumeCount);
                return result;
            }
            catch (OperationCanceledException) when (_ct.IsCancellationRequested)
            {
                await OnCancelledAsync().ConfigureAwait(false);
                throw;
            }
            catch (Exception ex) when (Resumable(ex) is { } resumable)
            {
                fault = resumable;
                faultAt = _time.GetTimestamp();
            }
            catch (Exception ex) when (ex is DeviceException or RpcErrorException)
            {
                ExceptionDispatchInfo.Throw(await ConcludeAsync(ex).ConfigureAwait(false));
            }
        }
    }

    /// <summary>The fault the call resumes after, or null when <paramref name="ex"/> ends it.</summary>
    private Exception? Resumable(Exception ex) => ex switch
    {
        // The device announced its restart: the commands in flight were stopped, not timed out.
        OperationCanceledException when _returned is { } returned => returned,
        _ when IsTransient(ex) => ex,
        _ => null,
    };

    /// <summary>
    /// What a call that cannot resume throws: a refusal, after the device's application is started again when nothing
    /// was erased; a failed authentication as it is; an error the device answered, as an <see cref="UpdateFailedException"/>;
    /// any other workflow error (an <see cref="UpdateFailedException"/> above all) as it is.
    /// </summary>
    private async Task<Exception> ConcludeAsync(Exception ex)
    {
        switch (ex)
        {
            case UpdateRejectedException refusal:
                UpdateLog.Rejected(_logger, Uid, refusal.Message);
                return await RestartApplicationAfterRefusalAsync(refusal).ConfigureAwait(false) ?? refusal;
            case Provisioning.DeviceAuthenticationException failed:
                UpdateLog.Rejected(_logger, Uid, failed.Message);
                return failed;
            case RpcErrorException error:
                return Failed(error);
            default:
                return ex;
        }
    }

    /// <summary>
    /// How old the caller's read of the device may be for the update to start from it instead of reading the device again:
    /// a caller that has just discovered its devices holds every answer the first contact would ask for.
    /// </summary>
    private static readonly TimeSpan FirstContactReuse = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Reads the device at its address with the full retry budget; a device that lost its power since it was discovered
    /// has lost its address too, and is then found by its UID. A read this network made moments ago (discovery, at most
    /// <see cref="FirstContactReuse"/> old, its link not re-addressed since) is taken as it is: one round trip less per
    /// device, on a chain of N devices N reads less on the shared line. Whatever changed since shows in the answers that
    /// follow (an application that left answers EnterBootloader from its bootloader at once; a device that lost its
    /// address does not answer and is found again by its UID).
    /// </summary>
    private async Task<DeviceInfo> FirstContactAsync()
    {
        if (_network.IsCurrent(_device, FirstContactReuse))
            return _device;
        try
        {
            return await _network.RefreshAsync(_device, _ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (DeviceNetwork.IsUnreachable(ex) || ex is DeviceNotFoundException)
        {
            return await _network.LocateAsync(_uid, _time.GetTimestamp(), _ct).ConfigureAwait(false);
        }
    }

    /// <summary>The local pre-check for <see cref="FirmwareUpdater.CheckImage"/>: everything known about the device.</summary>
    public static void PreCheck(DeviceInfo device, FirmwareImage image, UpdateOptions options) =>
        LocalPreCheck.Check(device, image.Manifest.Kind == Images.ImageKind.Application ? RegionKind.Application : OtherCopyOf(device), image, options);

    /// <summary>The bootloader copy that runs, from its status or, while the application runs, from GetVersions.</summary>
    private static RegionKind RunningCopyOf(DeviceInfo device) => device.Bootloader?.RunningCopy ?? SlotToRegion(device.ActiveBootloader);

    private static RegionKind OtherCopyOf(DeviceInfo device) =>
        RunningCopyOf(device) == RegionKind.BootloaderA ? RegionKind.BootloaderB : RegionKind.BootloaderA;

    /// <summary>
    /// After a refusal: when this call entered the bootloader and nothing was erased (the application is valid and the
    /// bootloader stays only because it was asked to), the device is restarted into its application, so a refused
    /// update costs the device no time out of service. Returns the refusal saying so, or null when there was nothing
    /// to restart. A device that cannot be restarted now starts its application by itself after
    /// <see cref="UpdateOptions.EnterBootloaderWaitSeconds"/>.
    /// </summary>
    private async Task<UpdateRejectedException?> RestartApplicationAfterRefusalAsync(UpdateRejectedException refusal)
    {
        if (!_enteredBootloader || _ct.IsCancellationRequested)
            return null;
        try
        {
            DeviceInfo now = await _network.RefreshAsync(_device, _ct).ConfigureAwait(false);
            _device = now;
            if (!now.IsInBootloader || !now.ApplicationValid || now.Bootloader is not { StayReason: StayReason.Requested, Phase: not UpdatePhase.Receiving })
                return null;
            DeviceInfo running = await StartApplicationAsync("the application to start again after the refusal").ConfigureAwait(false);
            return refusal.WithOutcome($"The refused image erased nothing; the device runs its application {running.ApplicationVersion} again.", applicationRestarted: true);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            return refusal.WithOutcome($"The refused image erased nothing, but the application could not be restarted ({ex.Message}); the bootloader starts it by itself " +
                $"{_options.EnterBootloaderWaitSeconds} s after the device entered it.", applicationRestarted: false);
        }
    }

    private static bool IsTransient(Exception ex)
    {
        // MulticastLeftException: left behind by a transfer to a group, it goes on by itself.
        if (DeviceNetwork.IsUnreachable(ex) || ex is DeviceNotFoundException or DeviceReturnedException or MulticastLeftException)
            return true;
        if (ex is not RpcErrorException error)
            return false;
        if (error.Status is RpcStatus.Busy or RpcStatus.InternalError or RpcStatus.UnknownInterface)
            return true; // the device restarted into another image under us, or is busy: look again
        if (BootloaderInterface.TryGetError(error, out BootloaderError code))
            return code is BootloaderError.NoUpdateInProgress or BootloaderError.Incomplete or BootloaderError.FlashFault
                or BootloaderError.NotAllowed or BootloaderError.Busy;
        return DeviceInterface.TryGetError(error, out DeviceError deviceError) && deviceError == DeviceError.Busy;
    }

    private UpdateFailedException Failed(Exception cause)
    {
        BootloaderError? code = cause is RpcErrorException rpc && BootloaderInterface.TryGetError(rpc, out BootloaderError e) ? e : null;
        string reason = _resumeCount > 0 ? $"{cause.Message} (after {_resumeCount} resume(s))" : cause.Message;
        return new UpdateFailedException(_uid, _stage, reason, cause) { DeviceError = code, ResumeCount = _resumeCount, BytesSent = _bytesSent };
    }

    private UpdateFailedException Mismatch(string message) =>
        new(_uid, _stage, message) { ResumeCount = _resumeCount, BytesSent = _bytesSent };

    private async Task OnCancelledAsync()
    {
        string outcome;
        if (_begun && _options.AbortOnCancel)
        {
            try
            {
                // The caller's token is cancelled: the abort gets its own short budget.
                using var budget = new CancellationTokenSource(_options.CommandTimeout * _options.CommandAttempts, _time);
                using BootloaderClient client = _network.CreateBootloaderClient(_device);
                await client.AbortUpdateAsync(new AbortUpdateRequest(), CallOptions(), budget.Token).ConfigureAwait(false);
                outcome = "the update was aborted: the target region is invalid and the bootloader stays resident";
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                outcome = $"AbortUpdate failed ({ex.Message}); the update stays resumable";
            }
        }
        else
        {
            outcome = _begun ? "the update stays resumable in the bootloader" : "nothing was written";
        }
        UpdateLog.Cancelled(_logger, Uid, _stage, outcome);
    }

    private RpcCallOptions CallOptions(int? attempts = null) =>
        new() { Timeout = _options.CommandTimeout, MaxAttempts = attempts ?? _options.CommandAttempts, Idempotent = true };

    /// <summary>The options of a command that may erase: the command timeout plus the erase allowance.</summary>
    private RpcCallOptions FlashCallOptions(uint? eraseMillisecondsMax) => new()
    {
        Timeout = _options.CommandTimeout + (_options.EraseTimeout ?? TimeSpan.FromMilliseconds(eraseMillisecondsMax ?? DefaultEraseMilliseconds)),
        MaxAttempts = _options.CommandAttempts,
        Idempotent = true,
    };

    /// <summary>The STM32F4's worst case for a 128 KB sector, assumed until the device says its own.</summary>
    private const uint DefaultEraseMilliseconds = 4000;

    private void NoteVersionBefore(FirmwareVersion? version)
    {
        if (_versionBeforeKnown)
            return;
        _versionBeforeKnown = true;
        _versionBefore = version;
    }

    private void Enter(UpdateStage stage)
    {
        if (_stage != stage)
            UpdateLog.StageEntered(_logger, Uid, stage);
        _stage = stage;
        Report();
    }

    private void Report(double? rate = null)
    {
        if (_progress is null)
            return;
        double bytesPerSecond = rate ?? 0;
        TimeSpan? left = null;
        if (_stage == UpdateStage.Transferring && bytesPerSecond > 0)
            left = TimeSpan.FromSeconds(Math.Max(0, _legTotal - _legDone) / bytesPerSecond);
        _progress.Report(new UpdateProgress(_uid, _device.Address, _stage, _legDone, _legTotal, _legResumed, bytesPerSecond, left,
            _resumeCount, _step, StepCount));
    }

    private UpdateResult Result(UpdateTarget target, FirmwareVersion versionAfter, RegionKind runningBootloader) =>
        new(_uid, _device.Address, target, _versionBefore, versionAfter, runningBootloader, _plan.TotalPayload, _bytesSent, _bytesResumed,
            _resumeCount, _imagesWritten, _time.GetElapsedTime(_started)) { Multicast = _multicast };

    private static RegionKind SlotToRegion(BootloaderSlot slot) => slot == BootloaderSlot.B ? RegionKind.BootloaderB : RegionKind.BootloaderA;
}

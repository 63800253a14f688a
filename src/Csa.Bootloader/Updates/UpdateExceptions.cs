using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Bootloader.Updates;

/// <summary>The base of every error of the update workflows and the service operations: names the device concerned.</summary>
public abstract class UpdateException : DeviceException
{
    /// <summary>Creates the exception.</summary>
    protected UpdateException(DeviceUid? device, string message, Exception? innerException = null)
        : base(device, message, innerException)
    {
    }
}

/// <summary>
/// The image was refused: by the host's local pre-check before a single byte was sent (<see cref="LocalRejection"/>
/// set, <see cref="RejectedLocally"/> true), or by the device itself (<see cref="DeviceError"/> set, with the device's
/// own message). Retrying with the same image cannot succeed. The device's installed firmware is untouched unless
/// <see cref="DeviceError"/> is <see cref="BootloaderError.PayloadHashMismatch"/> (the target region was already
/// being rewritten; the device stays in its bootloader and never runs the refused image). The host checks everything
/// it can before it asks the application to enter the bootloader; when the refusal came after (from the device, or
/// from a check that needed the bootloader) the updater restarts the intact application itself
/// (<see cref="ApplicationRestarted"/>).
/// </summary>
public sealed class UpdateRejectedException : UpdateException
{
    /// <summary>Creates the exception for a refusal by the device.</summary>
    public UpdateRejectedException(DeviceUid? device, BootloaderError error, string deviceMessage, Exception? innerException = null)
        : base(device, $"Device {device?.ToString() ?? "?"} refused the image: {error}: {deviceMessage}", innerException)
    {
        DeviceError = error;
        DeviceMessage = deviceMessage;
    }

    /// <summary>Creates the exception for a refusal by the host's local pre-check.</summary>
    public UpdateRejectedException(DeviceUid? device, ImageRejection rejection, string message, Exception? innerException = null)
        : base(device, $"The image does not fit device {device?.ToString() ?? "?"} (checked on the host, nothing was sent): {message}", innerException)
    {
        LocalRejection = rejection;
        DeviceMessage = message;
    }

    private UpdateRejectedException(UpdateRejectedException refusal, string outcome, bool applicationRestarted)
        : base(refusal.Device, $"{refusal.Message} {outcome}", refusal.InnerException)
    {
        DeviceError = refusal.DeviceError;
        LocalRejection = refusal.LocalRejection;
        DeviceMessage = refusal.DeviceMessage;
        ApplicationRestarted = applicationRestarted;
    }

    /// <summary>
    /// True when the updater had entered the bootloader for this update and, the refusal having erased nothing, restarted
    /// the device's application (it runs again). False when the device was not taken out of its application, or could
    /// not be restarted (it then starts its application by itself after <see cref="UpdateOptions.EnterBootloaderWaitSeconds"/>).
    /// </summary>
    public bool ApplicationRestarted { get; }

    /// <summary>The same refusal with what happened to the device afterwards added to its message.</summary>
    internal UpdateRejectedException WithOutcome(string outcome, bool applicationRestarted) => new(this, outcome, applicationRestarted);

    /// <summary>The device's error code when the device refused; null for a local refusal.</summary>
    public BootloaderError? DeviceError { get; }

    /// <summary>The local pre-check's reason when the host refused; null when the device refused.</summary>
    public ImageRejection? LocalRejection { get; }

    /// <summary>True when the host refused the image before sending anything.</summary>
    public bool RejectedLocally => LocalRejection is not null;

    /// <summary>The reason in words: the device's error message, or the pre-check's.</summary>
    public string DeviceMessage { get; }
}

/// <summary>
/// The device could not be found: not at its address, not behind any link after enumerating again, or it did not
/// come back (after a restart) within <see cref="UpdateOptions.RestartTimeout"/>.
/// </summary>
public sealed class DeviceNotFoundException : UpdateException
{
    /// <summary>Creates the exception.</summary>
    public DeviceNotFoundException(DeviceUid? device, NodeAddress? lastAddress, string message, Exception? innerException = null)
        : base(device, message, innerException)
    {
        LastAddress = lastAddress;
    }

    /// <summary>Where the device was last seen, if anywhere.</summary>
    public NodeAddress? LastAddress { get; }
}

/// <summary>
/// An update stopped for a reason other than a refusal: a fault that outlasted the retry policy (the
/// <see cref="Exception.InnerException"/> is the last one: <see cref="RpcTimeoutException"/>, a
/// <see cref="DataLinkException"/>, a <see cref="DeviceNotFoundException"/>, ...), or a result that does not match
/// (the device does not run the new version). The device is left as docs/updates.md describes for
/// <see cref="Stage"/>: never running a half-written image; calling the update again resumes it.
/// </summary>
public sealed class UpdateFailedException : UpdateException
{
    /// <summary>Creates the exception.</summary>
    public UpdateFailedException(DeviceUid? device, UpdateStage stage, string message, Exception? innerException = null)
        : base(device, $"Update of device {device?.ToString() ?? "?"} failed while {Describe(stage)}: {message}", innerException)
    {
        Stage = stage;
    }

    /// <summary>The stage the update had reached.</summary>
    public UpdateStage Stage { get; }

    /// <summary>The device's bootloader error when the device answered one (e.g. <see cref="BootloaderError.WriteConflict"/>), else null.</summary>
    public BootloaderError? DeviceError { get; init; }

    /// <summary>How many times the update resumed before it gave up.</summary>
    public int ResumeCount { get; init; }

    /// <summary>Payload bytes sent before it gave up.</summary>
    public long BytesSent { get; init; }

    private static string Describe(UpdateStage stage) => stage switch
    {
        UpdateStage.Connecting => "connecting",
        UpdateStage.EnteringBootloader => "entering the bootloader",
        UpdateStage.Checking => "checking",
        UpdateStage.Erasing => "erasing",
        UpdateStage.Transferring => "transferring",
        UpdateStage.Verifying => "verifying",
        UpdateStage.Restarting => "restarting",
        UpdateStage.Confirming => "confirming",
        _ => stage.ToString(),
    };
}

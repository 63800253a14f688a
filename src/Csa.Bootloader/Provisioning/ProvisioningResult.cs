using Csa.Bootloader.Images;
using Csa.DataLink;

namespace Csa.Bootloader.Provisioning;

/// <summary>What became of one device.</summary>
public enum ProvisioningOutcome
{
    /// <summary>Provisioned now: key generated on the device, certificate issued, stored and locked, authentication checked.</summary>
    Provisioned,

    /// <summary>It was provisioned before, by this station's production key; the lock was completed if a power cut had interrupted it.</summary>
    AlreadyProvisioned,

    /// <summary>It failed; <see cref="ProvisioningResult.Error"/> says why.</summary>
    Failed,

    /// <summary>The run was cancelled before it finished.</summary>
    Cancelled,
}

/// <summary>The stages of provisioning one device, as progress reports them.</summary>
public enum ProvisioningStage
{
    /// <summary>Reading the device's provisioning status.</summary>
    Reading,

    /// <summary>The device makes its identity key pair.</summary>
    GeneratingKey,

    /// <summary>The production key signs the certificate.</summary>
    Signing,

    /// <summary>The device checks and stores the certificate and locks provisioning.</summary>
    Installing,

    /// <summary>The station checks the stored certificate, the lock and a fresh authentication.</summary>
    Verifying,

    /// <summary>Finished (successfully or not).</summary>
    Done,
}

/// <summary>A progress report of a provisioning run.</summary>
/// <param name="Uid">The device.</param>
/// <param name="Stage">Where it stands.</param>
/// <param name="DevicesDone">Devices finished so far in this run.</param>
/// <param name="DevicesTotal">Devices in this run.</param>
public sealed record ProvisioningProgress(DeviceUid Uid, ProvisioningStage Stage, int DevicesDone, int DevicesTotal);

/// <summary>One row of a provisioning run.</summary>
/// <param name="Uid">The device's unique id.</param>
/// <param name="Address">Its node address during the run.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Certificate">Its certificate (null when it failed before one was stored).</param>
/// <param name="Error">Why it failed; null on success.</param>
/// <param name="Exception">The failure (a <see cref="ProvisioningException"/>, <see cref="DeviceAuthenticationException"/> or a link error); null on success.</param>
/// <param name="Elapsed">How long this device took.</param>
public sealed record ProvisioningResult(DeviceUid Uid, NodeAddress Address, ProvisioningOutcome Outcome, DeviceCertificate? Certificate,
    string? Error, Exception? Exception, TimeSpan Elapsed)
{
    /// <summary>True when the device is provisioned (now or before).</summary>
    public bool Succeeded => Outcome is ProvisioningOutcome.Provisioned or ProvisioningOutcome.AlreadyProvisioned;

    /// <summary>
    /// Why this row could not be stored by <see cref="ProvisioningStationOptions.Recorder"/> (neither in the database nor
    /// in its local journal); null when it was stored or there is no recorder. The device's outcome is still
    /// <see cref="Outcome"/>; its issued certificate was recorded before it was sent.
    /// </summary>
    public Exception? RecordingError { get; init; }

    /// <summary>The row for the manufacturer's device database.</summary>
    public ProvisioningRecord ToRecord() => ProvisioningRecord.From(this);
}

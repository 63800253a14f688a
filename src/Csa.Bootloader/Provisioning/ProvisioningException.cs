using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Updates;

namespace Csa.Bootloader.Provisioning;

/// <summary>Why provisioning a device failed.</summary>
public enum ProvisioningFailure
{
    /// <summary>The device refused a provisioning command (<see cref="ProvisioningException.DeviceError"/> says which error).</summary>
    DeviceRefused,

    /// <summary>The device reported another unique id on the Provisioning interface than on the Device interface.</summary>
    UidMismatch,

    /// <summary>The key-possession signature of the new identity key does not hold: the device does not hold the key it offered.</summary>
    InvalidProofOfPossession,

    /// <summary>The production signer returned a signature its own public key does not verify (a broken HSM or the wrong key).</summary>
    SignerFailed,

    /// <summary>The device is already provisioned, with a certificate this station's production key did not issue.</summary>
    ProvisionedByAnotherKey,

    /// <summary>After installing, the device does not report the certificate as stored and locked, or fails authentication.</summary>
    VerificationFailed,

    /// <summary>
    /// <see cref="ProvisioningStationOptions.AuthorizeDevice"/> refused the device before anything was signed (a unique
    /// id not on the allow list, already certified with another key, or a key already certified for another id).
    /// </summary>
    NotAuthorized,

    /// <summary>
    /// The records store (<see cref="ProvisioningStationOptions.Recorder"/>) could not claim the device's identity or
    /// store its issued certificate (the database and the local journal were both unavailable): the certificate was not
    /// sent, the device stays blank.
    /// </summary>
    RecordingFailed,
}

/// <summary>Provisioning one device failed; the device is blank or fully provisioned, never in between (docs/security.md section 10.5).</summary>
public sealed class ProvisioningException : DeviceException
{
    /// <summary>Creates the exception.</summary>
    public ProvisioningException(DeviceUid uid, ProvisioningFailure reason, string message, Exception? innerException = null)
        : base(uid, message, innerException)
    {
        Uid = uid;
        Reason = reason;
    }

    /// <summary>The device.</summary>
    public DeviceUid Uid { get; }

    /// <summary>Why.</summary>
    public ProvisioningFailure Reason { get; }

    /// <summary>The device's error when it refused a command.</summary>
    public ProvisioningError? DeviceError { get; init; }
}

namespace Csa.Crypto;

/// <summary>
/// The jobs a P-256 key does in the Csa security model (docs/security.md, "Key roles"). Every role uses the
/// same curve; the role decides where the key lives and what it may be used for, never its format.
/// </summary>
public enum KeyRole
{
    /// <summary>
    /// Signs image manifests (ECDSA P-256). Lives offline or in an HSM at the firmware vendor; devices hold only
    /// its public key, by key id. Its holder can make any device in the fleet accept firmware.
    /// </summary>
    FirmwareSigning = 1,

    /// <summary>
    /// Authorises production steps (provisioning of device identities, the first installation). Lives at the
    /// vendor or in the production station's HSM; the public key goes into every bootloader. Devices that left
    /// the line without it are useless (REQ-PROD-KEYS).
    /// </summary>
    Production = 2,

    /// <summary>
    /// One per device, generated on that device: ECDH recipient of wrapped content keys and its identity in its device
    /// certificate (challenge-response authentication). Lives only in that device's protected key storage.
    /// </summary>
    DeviceIdentity = 3,
}

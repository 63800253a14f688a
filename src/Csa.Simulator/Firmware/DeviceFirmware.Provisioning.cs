using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Crypto;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Firmware;

// The device lifecycle (REQ-PROD-KEYS): blank or provisioned, read from the Provisioning region at every start.
public sealed partial class DeviceFirmware
{
    private DeviceLifecycle _lifecycle = DeviceLifecycle.Blank;
    private DeviceCertificate? _certificate;
    private bool _identityMismatch;
    private bool _provisioningDamaged;

    /// <summary>
    /// The chip's read-protected key storage, where the identity key lives (not in flash: a flash copy does not carry it).
    /// </summary>
    public SecureKeyStorage KeyStorage { get; }

    /// <summary>The Provisioning interface (provisioning.rpc.json); the device serves it in the bootloader and the application.</summary>
    public ProvisioningService Provisioning { get; }

    /// <summary>Blank or Provisioned, as read at the last <see cref="Boot"/> (and after provisioning).</summary>
    public DeviceLifecycle Lifecycle
    {
        get
        {
            Gate.Wait();
            try
            {
                return _lifecycle;
            }
            finally
            {
                Gate.Release();
            }
        }
    }

    /// <summary>The stored device certificate; null while blank.</summary>
    public DeviceCertificate? Certificate
    {
        get
        {
            Gate.Wait();
            try
            {
                return _certificate;
            }
            finally
            {
                Gate.Release();
            }
        }
    }

    /// <summary>True when the Provisioning region is write protected (the last step of provisioning).</summary>
    public bool ProvisioningLocked => Map.Provisioning.Sectors.All(s => Flash.OptionBytes.IsWriteProtected(s.Index));

    /// <summary>
    /// True while the product requires provisioning and the device is blank: it installs no firmware and starts no
    /// application (REQ-PROD-KEYS).
    /// </summary>
    internal bool BlockedAsBlank => _identityMismatch || _provisioningDamaged || (Profile.RequireProvisioning && _lifecycle != DeviceLifecycle.Provisioned);

    /// <summary>
    /// True when the last read found a committed provisioning record that is not this chip's (a copied flash, a key
    /// storage that lost its key): the device starts no application and installs no firmware, whatever the profile says.
    /// </summary>
    internal bool IdentityMismatch => _identityMismatch;

    /// <summary>
    /// True when the key storage holds a certified identity key but the Provisioning region holds no valid record for it
    /// (erased, torn, or another chip's): the device is damaged, not blank. It stays in the bootloader, installs nothing,
    /// and refuses a new key; InstallCertificate of a valid certificate for its key (e.g. from the manufacturer's
    /// records) repairs it.
    /// </summary>
    internal bool ProvisioningDamaged => _provisioningDamaged;

    internal DeviceLifecycle CurrentLifecycle => _lifecycle;

    internal DeviceCertificate? CurrentCertificate => _certificate;

    /// <summary>
    /// The key content keys are unwrapped with: the provisioned identity key (in the key storage) once provisioned;
    /// before that the profile's configured key (products without provisioning).
    /// </summary>
    internal EcP256PrivateKey? DecryptionKey => _lifecycle == DeviceLifecycle.Provisioned && KeyStorage.IdentityKey is { } key ? key : Profile.IdentityKey;

    /// <summary>
    /// The one write a start-up may make: a provisioned device whose Provisioning region is not write protected (a power
    /// cut hit the last step of provisioning) protects it now, so the lock heals itself even when the device goes
    /// straight into its application and no station runs again. A refusal (option bytes frozen by RDP level 2) leaves it
    /// as it is: the lifecycle is decided by the committed record, not by the lock.
    /// </summary>
    internal void CompleteProvisioningLock()
    {
        if (_lifecycle != DeviceLifecycle.Provisioned || ProvisioningLocked)
            return;
        try
        {
            Flash.ProgramOptionBytes(Flash.OptionBytes.WithWriteProtection(Map.Provisioning.Sectors.Select(s => s.Index).ToArray()));
        }
        catch (FlashProgrammingException)
        {
            // Refused (frozen option bytes, or the controller busy): stays unlocked; InstallCertificate of the same certificate retries.
        }
    }

    /// <summary>
    /// Reads the lifecycle from the Provisioning region (flash reads only). Call with the gate held. A committed record
    /// counts only when its certificate is this chip's (docs/security.md section 10.5): it names this unique id, the
    /// identity public key the key storage holds, and a production key this bootloader ships signed it (one ECDSA verify
    /// per start, like REQ-BOOT-VERIFY). The record's CRC only says the write completed; without these checks a copy of a
    /// provisioned device's flash would make any chip boot Provisioned and start the copied application.
    /// </summary>
    internal void ReadProvisioning()
    {
        (IdentityRecordState state, DeviceCertificate? certificate) = IdentityRecord.Read(Flash, Map.Provisioning);
        _identityMismatch = false;
        _provisioningDamaged = false;
        string? fault = state == IdentityRecordState.Committed ? Provisioning.FindStoredCertificateFault(certificate!) : null;
        if (fault is not null)
            certificate = null;
        _certificate = state == IdentityRecordState.Committed ? certificate : null;
        _lifecycle = _certificate is null ? DeviceLifecycle.Blank : DeviceLifecycle.Provisioned;
        if (_certificate is not null)
        {
            // Heals a commit whose key-storage note a power cut overtook: the key is certified from now on.
            try
            {
                KeyStorage.MarkCertified(_certificate.ComputeDigest());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The simulation's key file cannot be written: the device is provisioned all the same (the record
                // decides); only the protection against replacing the key is missing until the note lands.
            }
        }
        else if (KeyStorage.IsCertified)
        {
            FirmwareLog.ProvisioningDamaged(Logger, fault ?? $"the provisioning record is {state}");
            _provisioningDamaged = true;
        }
        else if (fault is not null)
        {
            FirmwareLog.IdentityMismatch(Logger, fault);
            _identityMismatch = true;
        }
    }
}

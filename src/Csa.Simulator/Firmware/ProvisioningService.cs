using System.Security.Cryptography;
using Csa.Bootloader.Protocol;
using Csa.Bootloader.Provisioning;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware;

/// <summary>
/// The device side of provisioning (provisioning.rpc.json, docs/security.md section 10): the device makes its own
/// identity key pair in its key storage, checks a certificate against the production trust anchor its bootloader ships
/// (<see cref="DeviceProfile.ProductionTrustAnchors"/>), stores it power-safely and locks provisioning, and answers
/// authentication challenges with its identity key. Commands run one at a time, under the firmware's gate.
/// </summary>
public sealed class ProvisioningService : ProvisioningServerBase
{
    private readonly DeviceFirmware _firmware;
    private readonly EcdsaP256Verifier? _anchor;

    internal ProvisioningService(DeviceFirmware firmware)
    {
        _firmware = firmware;
        _anchor = firmware.Profile.ProductionTrustAnchors.Count > 0 ? new EcdsaP256Verifier(firmware.Profile.ProductionTrustAnchors, new EcdsaP256VerifierOptions { RequireLowS = true }) : null;
    }

    private SimulatedFlash Flash => _firmware.Flash;

    /// <inheritdoc />
    protected override async Task<GetProvisioningStatusResponse> GetProvisioningStatusAsync(GetProvisioningStatusRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(bootloaderOnly: false, cancellationToken).ConfigureAwait(false);
        try
        {
            EcP256PublicKey? key = _firmware.KeyStorage.IdentityPublicKey;
            return new GetProvisioningStatusResponse(_firmware.Profile.Uid.ToArray(), _firmware.CurrentLifecycle, _firmware.ProvisioningLocked,
                key is not null, key is null ? new byte[64] : key.UncompressedPoint[1..].ToArray(), _firmware.CurrentCertificate?.ToArray() ?? []);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task<GenerateIdentityKeyResponse> GenerateIdentityKeyAsync(GenerateIdentityKeyRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(bootloaderOnly: true, cancellationToken).ConfigureAwait(false);
        try
        {
            RequireAnchor();
            if (_firmware.CurrentLifecycle == DeviceLifecycle.Provisioned)
                throw Error(ProvisioningError.AlreadyProvisioned, "The device is provisioned: its identity key is certified and cannot be replaced.");
            if (_firmware.KeyStorage.IsCertified)
                throw Error(ProvisioningError.AlreadyProvisioned, "The identity key is certified and cannot be replaced (provisioning is damaged: install its certificate again).");
            EcP256PrivateKey key = _firmware.KeyStorage.GenerateIdentityKey();
            byte[] publicKey = key.PublicKey.UncompressedPoint[1..].ToArray();
            byte[] proof = new EcdsaP256Signer(key).Sign(ProvisioningMessages.KeyPossession(_firmware.Profile.Uid, request.StationNonce, publicKey));
            return new GenerateIdentityKeyResponse(publicKey, proof);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task<InstallCertificateResponse> InstallCertificateAsync(InstallCertificateRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(bootloaderOnly: true, cancellationToken).ConfigureAwait(false);
        try
        {
            RequireAnchor();
            if (_firmware.CurrentCertificate is { } stored)
            {
                if (!stored.ToArray().AsSpan().SequenceEqual(request.Certificate))
                    throw Error(ProvisioningError.AlreadyProvisioned, "The device is provisioned; provisioning is locked and another certificate is refused.");
                // The same certificate again: complete the lock a power cut may have interrupted.
                await LockAsync(cancellationToken).ConfigureAwait(false);
                return new InstallCertificateResponse(DeviceLifecycle.Provisioned, _firmware.ProvisioningLocked);
            }
            DeviceCertificate certificate = Check(request.Certificate);
            await StoreAsync(certificate, cancellationToken).ConfigureAwait(false);
            return new InstallCertificateResponse(_firmware.CurrentLifecycle, _firmware.ProvisioningLocked);
        }
        catch (FlashProgrammingException e)
        {
            throw Error(ProvisioningError.FlashFault, e.Message);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task<AuthenticateResponse> AuthenticateAsync(AuthenticateRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(bootloaderOnly: false, cancellationToken).ConfigureAwait(false);
        try
        {
            if (_firmware.CurrentCertificate is not { } certificate)
                throw Error(ProvisioningError.NotProvisioned, "The device is blank: it has no certificate to authenticate with.");
            if (_firmware.KeyStorage.IdentityKey is not { } key)
                throw Error(ProvisioningError.NoIdentityKey, "The device holds a certificate but no identity key.");
            byte[] message = ProvisioningMessages.Authentication(_firmware.Profile.Uid, request.Challenge, certificate.ComputeDigest());
            return new AuthenticateResponse(certificate.ToArray(), new EcdsaP256Signer(key).Sign(message));
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <summary>
    /// The start-up check of a committed provisioning record: null when its certificate is this chip's (its unique id,
    /// the identity public key in the key storage, a valid signature by a production key the bootloader ships),
    /// otherwise what is wrong. Called with the gate held.
    /// </summary>
    internal string? FindStoredCertificateFault(DeviceCertificate certificate)
    {
        if (_anchor is null)
            return "the bootloader ships no production trust anchor, so no certificate can be genuine";
        if (certificate.Uid != _firmware.Profile.Uid)
            return $"the certificate is for device {certificate.Uid}, this chip is {_firmware.Profile.Uid}";
        if (_firmware.KeyStorage.IdentityPublicKey is not { } own)
            return "the key storage holds no identity key";
        if (!CryptographicOperations.FixedTimeEquals(certificate.GetUncompressedPublicKey(), own.UncompressedPoint.Span))
            return "the certificate names another public key than the identity key in the key storage";
        if (!_anchor.Verify(certificate.SignedBytes.Span, certificate.Signature.Span, certificate.IssuerKeyId.Span))
            return "no production key this bootloader trusts signed the certificate";
        if (certificate.Lifecycle != DeviceLifecycle.Provisioned)
            return $"the certificate grants {certificate.Lifecycle}";
        return null;
    }

    /// <summary>Every check of InstallCertificate, before anything is written.</summary>
    private DeviceCertificate Check(byte[] bytes)
    {
        if (_firmware.KeyStorage.IdentityPublicKey is not { } own)
            throw Error(ProvisioningError.NoIdentityKey, "The device has no identity key: send GenerateIdentityKey first.");
        if (!DeviceCertificate.TryParse(bytes, out DeviceCertificate? certificate, out DeviceCertificateError error, out int offset))
            throw Error(ProvisioningError.MalformedCertificate, $"The certificate is malformed: {error} at byte {offset}.");
        if (!_anchor!.HasKey(certificate.IssuerKeyId.Span))
            throw Error(ProvisioningError.UnknownIssuer, $"The certificate was issued by key {Convert.ToHexString(certificate.IssuerKeyId.Span).ToLowerInvariant()}, which is not a production key this bootloader trusts.");
        if (!_anchor.Verify(certificate.SignedBytes.Span, certificate.Signature.Span, certificate.IssuerKeyId.Span))
            throw Error(ProvisioningError.BadCertificateSignature, "The production key's signature over the certificate does not hold.");
        if (certificate.Uid != _firmware.Profile.Uid)
            throw Error(ProvisioningError.WrongDevice, $"The certificate is for device {certificate.Uid}, not {_firmware.Profile.Uid}.");
        if (!CryptographicOperations.FixedTimeEquals(certificate.GetUncompressedPublicKey(), own.UncompressedPoint.Span))
            throw Error(ProvisioningError.WrongPublicKey, "The certificate names another public key than this device's identity key.");
        if (certificate.VendorId != _firmware.Profile.VendorId || certificate.DeviceClassId != _firmware.Profile.DeviceClassId)
            throw Error(ProvisioningError.WrongProduct, $"The certificate is for vendor 0x{certificate.VendorId:X8} class 0x{certificate.DeviceClassId:X8}; this device is vendor 0x{_firmware.Profile.VendorId:X8} class 0x{_firmware.Profile.DeviceClassId:X8}.");
        if (certificate.Lifecycle != DeviceLifecycle.Provisioned)
            throw Error(ProvisioningError.WrongLifecycle, $"The certificate grants {certificate.Lifecycle}; the device accepts Provisioned.");
        return certificate;
    }

    /// <summary>
    /// Erase (only when the region is not blank: an earlier attempt was cut), body, commit marker, write protection.
    /// The commit marker is the commit point: before it the device is blank, after it provisioned.
    /// </summary>
    private async Task StoreAsync(DeviceCertificate certificate, CancellationToken ct)
    {
        MemoryRegion region = _firmware.Map.Provisioning;
        if (!Flash.IsBlank(region))
            await Flash.EraseRegionAsync(region, ct).ConfigureAwait(false);
        byte[] body = IdentityRecord.EncodeBody(certificate.ToArray());
        await Flash.ProgramAsync(region.Address, body, ct).ConfigureAwait(false);
        await Flash.ProgramAsync(region.Address + IdentityRecord.BodySize, IdentityRecord.EncodeCommit(body), ct).ConfigureAwait(false);
        _firmware.ReadProvisioning(); // verifies the record and notes the key as certified in the key storage
        if (_firmware.CurrentLifecycle != DeviceLifecycle.Provisioned)
            throw Error(ProvisioningError.FlashFault, "The provisioning record does not read back as committed.");
        await LockAsync(ct).ConfigureAwait(false);
    }

    private async Task LockAsync(CancellationToken ct)
    {
        if (_firmware.ProvisioningLocked)
            return;
        int[] sectors = _firmware.Map.Provisioning.Sectors.Select(s => s.Index).ToArray();
        await Flash.ProgramOptionBytesAsync(Flash.OptionBytes.WithWriteProtection(sectors), ct).ConfigureAwait(false);
    }

    private void RequireAnchor()
    {
        if (_anchor is null)
            throw Error(ProvisioningError.NotSupported, "This bootloader ships no production trust anchor: the product is not provisioned.");
    }

    private async Task EnterAsync(bool bootloaderOnly, CancellationToken cancellationToken)
    {
        await _firmware.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_firmware.LastBoot is null or { IsBricked: true } || (bootloaderOnly && !_firmware.InBootloader))
        {
            _firmware.Gate.Release();
            throw Error(ProvisioningError.NotAllowed, bootloaderOnly
                ? "Provisioning runs in the bootloader only; enter the bootloader first."
                : "No firmware runs.");
        }
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware;

// BeginUpdate: every check before the first erase; resume or start.
public sealed partial class BootloaderService
{
    /// <inheritdoc />
    protected override async Task<BeginUpdateResponse> BeginUpdateAsync(BeginUpdateRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_firmware.ProvisioningDamaged)
                throw Refuse(BootloaderError.NotProvisioned, "Provisioning is damaged (the identity key is certified but the provisioning record is not valid): it installs no firmware until its certificate is installed again.");
            if (_firmware.IdentityMismatch)
                throw Refuse(BootloaderError.NotProvisioned, "The provisioning record is not this chip's (unique id, identity key or production signature): it installs no firmware.");
            if (_firmware.BlockedAsBlank)
                throw Refuse(BootloaderError.NotProvisioned, "The device is blank: it installs no firmware until it is provisioned with a certificate from the production key.");
            (RegionKind kind, MemoryRegion region) = Resolve(request.Target);
            ImagePolicy policy = BuildPolicy(kind, region);
            ImageManifest manifest;
            try
            {
                manifest = new ImageValidator(policy).CheckBeforeErase(request.Manifest ?? [], request.Authentication ?? []);
            }
            catch (ImageFormatException e)
            {
                throw Refuse(BootloaderError.BadManifest, e.Message);
            }
            catch (ImageRejectedException e)
            {
                throw Refuse(Map(e.Reason), e.Message);
            }
            // The chip's CPU time for the checks just made: the signature, and the key unwrap of an encrypted image.
            await _firmware.ComputeAsync(_firmware.Profile.CpuTiming is { } cpu && manifest.Authentication == ImageAuthentication.EcdsaP256Sha256
                ? cpu.SignatureVerification * (manifest.Encryption == ImageEncryption.None ? 1 : 2) : TimeSpan.Zero).ConfigureAwait(false);
            if (_firmware.Profile.RequireDeviceBinding && !manifest.IsDeviceBound)
                throw Refuse(BootloaderError.NotBoundToThisDevice, "The image is not bound to any device; this product installs only images bound to the device's unique id.");
            byte[] manifestBytes = request.Manifest!;
            byte[] digest = Sha256(manifestBytes);
            byte[]? key = UnwrapKey(manifest, request.WrappedKey ?? [], digest);

            BeginUpdateResponse Answer(uint resumeOffset) => new(resumeOffset, WriteAlignment, MaxWriteSize, EraseMillisecondsMax(region));

            // The same image again: resume, never erase.
            if (_session is { } live && live.Kind == kind && live.Digest.AsSpan().SequenceEqual(digest))
            {
                live.ReplaceKey(key);
                live.Owner = source;
                _firmware.NoteUpdateCommand();
                FirmwareLog.UpdateResumed(_firmware.Logger, kind.ToString(), live.Committed);
                KickEraseAhead();
                return Answer(live.Committed);
            }
            if (_session is { Complete: false } other && other.Owner is { } owner && owner != source)
            {
                CryptographicOperations.ZeroMemory(key);
                throw Refuse(BootloaderError.Busy,
                    $"Host {owner} is installing another image into {other.Kind} ({other.Committed} of {other.PayloadSize} bytes); it must finish or abort first (AbortUpdate).");
            }
            var session = new UpdateSession(kind, region, manifest, manifestBytes, request.Authentication!, digest, key, WriteAlignment) { Owner = source };
            if (_firmware.RefreshCheck(kind).Holds(digest))
            {
                // Already installed (a commit whose journal update or counter step was cut, or a reinstall): writes
                // only compare, and FinishUpdate completes the bookkeeping without touching the image.
                session.EraseAhead = false;
                ReplaceSession(session);
                session.MarkWrittenBelow(manifest.PayloadSize);
                _firmware.NoteUpdateCommand();
                return Answer(manifest.PayloadSize);
            }
            UpdateRecord record = _firmware.Record;
            if (record.Phase == UpdatePhase.Receiving && record.Region == kind && record.ManifestDigest.AsSpan().SequenceEqual(digest))
            {
                // Resume after a reset: blocks below the journal's watermark are written; the sector holding it is continued
                // by comparing unit by unit (Write), the sectors past it are dirty and erased on first touch.
                ReplaceSession(session);
                session.MarkWrittenBelow(Math.Min(record.BytesCommitted, manifest.PayloadSize));
                FirmwareLog.UpdateResumed(_firmware.Logger, kind.ToString(), session.Committed);
                _firmware.NoteUpdateCommand();
                KickEraseAhead();
                return Answer(session.Committed);
            }

            // A new update. Persist it BEFORE the first erase, with the security counter as it stands now (an erase
            // may remove the image whose counter is the highest), and with the target marked as being rewritten: from
            // this record on the old image is not valid, whatever its trailer still claims, until the new one is
            // committed. That makes the region's state a fact of the journal, not of how far an erase has come, so the
            // trailer's sectors need not be erased before the answer: the eraser erases them in the background after
            // the payload's (erase-ahead), or FinishUpdate does (docs/device-model.md section 6.3).
            ReplaceSession(null);
            uint counter = _firmware.EffectiveSecurityCounter();
            await _firmware.AppendRecordAsync((record with
            {
                Phase = UpdatePhase.Receiving, Region = kind, BytesCommitted = 0, PayloadSize = manifest.PayloadSize,
                SecurityCounter = Math.Max(counter, record.SecurityCounter), ManifestDigest = digest,
            }).Revoking(kind), _firmware.RunStopping).ConfigureAwait(false);
            _session = session;
            _firmware.RefreshCheck(kind);
            _firmware.NoteUpdateCommand();
            FirmwareLog.UpdateBegun(_firmware.Logger, kind.ToString(), manifest.ToString());
            await PublishAsync(UpdatePhase.Receiving, request.Target, 0, cancellationToken).ConfigureAwait(false);
            KickEraseAhead();
            return Answer(0);
        }
        catch (FlashProgrammingException e)
        {
            throw Error(BootloaderError.FlashFault, e.Message);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    private Csa.Rpc.RpcErrorException Refuse(BootloaderError error, string reason)
    {
        FirmwareLog.BeginRefused(_firmware.Logger, error.ToString(), reason);
        return Error(error, reason);
    }

    private void ReplaceSession(UpdateSession? session)
    {
        ResetSession();
        _session = session;
    }

    private (RegionKind Kind, MemoryRegion Region) Resolve(UpdateTarget target)
    {
        switch (target)
        {
            case UpdateTarget.Application:
                return (RegionKind.Application, _firmware.Map.Application);
            case UpdateTarget.OtherBootloader:
                RegionKind other = _firmware.Running == RegionKind.BootloaderA ? RegionKind.BootloaderB : RegionKind.BootloaderA;
                return (other, _firmware.RegionOf(other));
            default:
                // Not reachable over RPC: the generated decoder refuses an undefined enum value, and the RPC layer answers
                // BadPayload (docs/device-model.md 6.3). Kept for a caller that hands the service a request directly.
                throw Error(BootloaderError.WrongTarget, $"Update target {(byte)target} does not exist (Application or OtherBootloader).");
        }
    }

    private ImagePolicy BuildPolicy(RegionKind kind, MemoryRegion region)
    {
        DeviceProfile p = _firmware.Profile;
        var policy = new ImagePolicy
        {
            VendorId = p.VendorId,
            DeviceClassId = p.DeviceClassId,
            ExpectedKind = kind == RegionKind.Application ? ImageKind.Application : ImageKind.Bootloader,
            DeviceUid = p.Uid,
            MinimumSecurityCounter = p.DowngradePrevention ? _firmware.EffectiveSecurityCounter() : null,
            TargetRegion = new ImageRegion(region.Address, ImageTrailer.UsableSize(region)),
            RequireEncryption = p.RequireEncryption,
            Decryptor = _firmware.DecryptionKey is { } identity ? new AesCtrEciesPayloadDecryptor(identity) : null,
        };
        foreach (IImageVerifier verifier in _firmware.Verifiers)
            policy.TrustedVerifiers.Add(verifier);
        return policy;
    }

    private byte[]? UnwrapKey(ImageManifest manifest, byte[] wrappedKey, byte[] manifestDigest)
    {
        if (manifest.Encryption == ImageEncryption.None)
        {
            if (wrappedKey.Length != 0)
                throw Refuse(BootloaderError.KeyUnwrapFailed, "The image is plaintext but a wrapped key was sent: the host and the image disagree.");
            return null;
        }
        if (_firmware.DecryptionKey is not { } identity)
            throw Refuse(BootloaderError.KeyUnwrapFailed, "The image is encrypted but this device has no identity key to unwrap its content key.");
        var decryptor = new AesCtrEciesPayloadDecryptor(identity);
        if (decryptor.Algorithm != manifest.Encryption)
            throw Refuse(BootloaderError.KeyUnwrapFailed, $"The image is encrypted with {manifest.Encryption}; the device decrypts {decryptor.Algorithm}.");
        if (wrappedKey.Length == 0)
            throw Refuse(BootloaderError.KeyUnwrapFailed, "The image is encrypted but no wrapped key was sent: send this device's entry of the key block.");
        if (!decryptor.TryUnwrapKey(wrappedKey, manifestDigest, out byte[] key))
            throw Refuse(BootloaderError.KeyUnwrapFailed, "The wrapped key does not unwrap with this device's key for this manifest (another device's key, a modified key, or a key from another image).");
        return key;
    }

    private uint EraseMillisecondsMax(MemoryRegion region) =>
        (uint)Math.Ceiling(region.Sectors.Max(s => Flash.Timing.Erase(s, FlashTimingProfile.WorstCase).TotalMilliseconds));

    /// <summary>Maps a refusal of the shared image validator to the protocol's error.</summary>
    internal static BootloaderError Map(ImageRejection rejection) => rejection switch
    {
        ImageRejection.UnsupportedAuthentication => BootloaderError.BadSignature,
        ImageRejection.UnknownKey => BootloaderError.UnknownKey,
        ImageRejection.BadSignature => BootloaderError.BadSignature,
        ImageRejection.WrongImageKind or ImageRejection.WrongVendor or ImageRejection.WrongDeviceClass => BootloaderError.WrongTarget,
        ImageRejection.NotBoundToThisDevice => BootloaderError.NotBoundToThisDevice,
        ImageRejection.SecurityCounterTooLow => BootloaderError.SecurityCounterTooLow,
        ImageRejection.WrongLoadAddress or ImageRejection.TooLargeForRegion => BootloaderError.WrongLocation,
        ImageRejection.EncryptionRequired => BootloaderError.EncryptionRequired,
        ImageRejection.UnsupportedEncryption or ImageRejection.NoKeyForThisDevice or ImageRejection.KeyUnwrapFailed => BootloaderError.KeyUnwrapFailed,
        ImageRejection.PayloadHashMismatch => BootloaderError.PayloadHashMismatch,
        ImageRejection.PayloadSizeMismatch => BootloaderError.Incomplete,
        _ => BootloaderError.BadManifest,
    };
}

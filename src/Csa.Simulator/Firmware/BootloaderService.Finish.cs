using System.Security.Cryptography;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware;

// FinishUpdate: verify what flash holds, then commit (trailer slot, commit marker last), then the counters.
public sealed partial class BootloaderService
{
    /// <inheritdoc />
    protected override async Task<FinishUpdateResponse> FinishUpdateAsync(FinishUpdateRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_session is not { } s)
            {
                UpdateRecord record = _firmware.Record;
                if (record.Region is { } done && record.Phase != UpdatePhase.Idle && _firmware.Check(done).Holds(record.ManifestDigest))
                    return new FinishUpdateResponse(_firmware.Check(done).Manifest!.PayloadSha256.ToArray());
                throw Error(BootloaderError.NoUpdateInProgress, record.Phase == UpdatePhase.Receiving
                    ? "The device was reset since BeginUpdate: send BeginUpdate with the same image again to resume."
                    : "No update is in progress.");
            }
            if (!s.Complete)
                await CommitAsync(s, _firmware.RunStopping).ConfigureAwait(false);
            _firmware.NoteUpdateCommand();
            return new FinishUpdateResponse(s.Manifest.PayloadSha256.ToArray());
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

    private async Task CommitAsync(UpdateSession s, CancellationToken ct)
    {
        if (s.Committed < s.PayloadSize)
        {
            int written = s.Written.Count(w => w) * WriteAlignment;
            throw Error(BootloaderError.Incomplete,
                $"Payload bytes from offset {s.Committed} are missing (about {Math.Min(written, (int)s.PayloadSize)} of {s.PayloadSize} bytes written).");
        }
        if (!_firmware.RefreshCheck(s.Kind).Holds(s.Digest))
        {
            byte[]? hash = _firmware.Inspector.HashFlash(s.Region.Address, s.PayloadSize);
            if (hash is null || !CryptographicOperations.FixedTimeEquals(hash, s.Manifest.PayloadSha256.Span))
            {
                // What flash holds is not the image: start the payload over (every sector is dirty again).
                FirmwareLog.PayloadMismatch(_firmware.Logger, s.Kind.ToString());
                s.ForgetFrom(0);
                s.ErasedSectors.Clear();
                await _firmware.AppendRecordAsync(_firmware.Record with { BytesCommitted = 0 }, ct).ConfigureAwait(false);
                throw Error(BootloaderError.PayloadHashMismatch, hash is null
                    ? "The written payload holds a double word with an ECC error; send the whole payload again."
                    : $"The written payload's SHA-256 is {Convert.ToHexString(hash)}, not the manifest's {Convert.ToHexString(s.Manifest.PayloadSha256.Span)}; send the whole payload again.");
            }
            int slot = await PrepareTrailerAsync(s, ct).ConfigureAwait(false);
            if (slot < 0)
            {
                uint restart = TrailerSector(s.Region).Address - s.Region.Address;
                s.ForgetFrom(restart);
                s.ErasedSectors.Remove(TrailerSector(s.Region).Index);
                await _firmware.AppendRecordAsync(_firmware.Record with { BytesCommitted = restart }, ct).ConfigureAwait(false);
                throw Error(BootloaderError.Incomplete,
                    $"Every trailer slot was used by interrupted commits; its sector must be erased: send the payload again from offset {restart}.");
            }
            // The commit point is the marker: body first, marker last, each one program operation.
            uint address = ImageTrailer.SlotAddress(s.Region, slot);
            byte[] body = ImageTrailer.EncodeBody(s.ManifestBytes, s.Authentication);
            await Flash.ProgramAsync(address, body, ct).ConfigureAwait(false);
            await Flash.ProgramAsync(address + ImageTrailer.BodySize, ImageTrailer.EncodeCommit(body), ct).ConfigureAwait(false);
            if (!_firmware.RefreshCheck(s.Kind).Holds(s.Digest))
                throw Error(BootloaderError.FlashFault, $"The committed image in {s.Kind} does not verify: {_firmware.Check(s.Kind).Reason}.");
            FirmwareLog.Committed(_firmware.Logger, s.Kind.ToString(), slot, s.Manifest.SecurityCounter);
        }

        // The image is valid: its counter now counts (EffectiveSecurityCounter sees it). Record it in the journal, then
        // raise the OTP floor; a cut between the steps leaves the counter held by the image itself or by the journal.
        uint counter = Math.Max(_firmware.EffectiveSecurityCounter(), s.Manifest.SecurityCounter);
        UpdateRecord r = _firmware.Record;
        bool keepRequest = s.Kind != RegionKind.Application && r.BootloaderRequested;
        UpdateRecord complete = (r with
        {
            Phase = UpdatePhase.Complete, Region = s.Kind, BytesCommitted = s.PayloadSize, PayloadSize = s.PayloadSize,
            ManifestDigest = s.Digest, SecurityCounter = Math.Max(counter, r.SecurityCounter),
            BootloaderRequested = keepRequest, RequestedWaitSeconds = keepRequest ? r.RequestedWaitSeconds : (ushort)0,
        }).Restoring(s.Kind); // the region holds its new image: it is no longer being rewritten
        if (!SameState(complete, r)) // a repeated finish (after a cut behind the journal append) writes nothing new
            await _firmware.AppendRecordAsync(complete, ct).ConfigureAwait(false);
        s.Persisted = s.PayloadSize;
        if (_firmware.Profile.DowngradePrevention)
        {
            int floor = (int)Math.Min(counter, (uint)_firmware.Otp.Capacity);
            if (_firmware.Otp.Read() < floor)
                _firmware.Otp.AdvanceTo(floor);
        }
        // The content key stays until the session ends (reset, abort, another image): a resent write after the
        // commit must still decrypt to compare.
        s.Complete = true;
        await PublishAsync(UpdatePhase.Complete, TargetOf(s.Kind), s.PayloadSize, ct).ConfigureAwait(false);
    }

    // Finds a blank trailer slot. Trailer sectors that hold no payload and were not erased in this session are
    // erased first (they may hold slots torn by an earlier commit); a sector that also holds committed payload is
    // never erased here: its slots are used one after the other, skipping torn ones.
    private async Task<int> PrepareTrailerAsync(UpdateSession s, CancellationToken ct)
    {
        uint area = ImageTrailer.AreaAddress(s.Region);
        uint payloadEnd = s.Region.Address + s.PayloadSize;
        foreach (FlashSector sector in s.Region.Sectors.Where(x => x.EndAddress > area))
        {
            if (s.ErasedSectors.Contains(sector.Index) || sector.Address < payloadEnd)
                continue;
            await Flash.EraseSectorAsync(sector.Index, ct).ConfigureAwait(false);
            s.ErasedSectors.Add(sector.Index);
        }
        for (int slot = 0; slot < ImageTrailer.SlotCount; slot++)
            if (Flash.IsBlank(ImageTrailer.SlotAddress(s.Region, slot), ImageTrailer.SlotSize))
                return slot;
        return -1;
    }

    private static bool SameState(UpdateRecord a, UpdateRecord b) =>
        a.Encode().AsSpan().SequenceEqual(b.Encode());

    private static FlashSector TrailerSector(MemoryRegion region) => region.Sectors.Last(x => x.Address <= ImageTrailer.AreaAddress(region));
}

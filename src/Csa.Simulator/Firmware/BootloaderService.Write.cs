using System.Security.Cryptography;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Firmware;

// Write: offset-addressed, idempotent, erase on first touch, watermark at sector boundaries.
public sealed partial class BootloaderService
{
    /// <inheritdoc />
    protected override async Task<WriteResponse> WriteAsync(WriteRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        byte[]? plain = null;
        try
        {
            UpdateSession s = _session ?? throw Error(BootloaderError.NoUpdateInProgress,
                _firmware.Record.Phase == UpdatePhase.Receiving
                    ? "The device was reset since BeginUpdate: send BeginUpdate with the same image again to resume."
                    : "No update is in progress: send BeginUpdate first.");
            byte[] data = request.Data ?? [];
            uint offset = request.Offset;
            ulong end = (ulong)offset + (uint)data.Length;
            if (data.Length == 0)
                throw Error(BootloaderError.OutOfRange, "The write carries no data.");
            if (data.Length > MaxWriteSize)
                throw Error(BootloaderError.OutOfRange, $"The write carries {data.Length} bytes; at most {MaxWriteSize} are accepted.");
            if (end > s.PayloadSize)
                throw Error(BootloaderError.OutOfRange, $"Bytes {offset}..{end - 1} run past the {s.PayloadSize}-byte payload.");
            if (offset % WriteAlignment != 0)
                throw Error(BootloaderError.Misaligned, $"Offset {offset} is not a multiple of {WriteAlignment}.");
            if (data.Length % WriteAlignment != 0 && end != s.PayloadSize)
                throw Error(BootloaderError.Misaligned, $"A {data.Length}-byte write that does not end the payload must be a multiple of {WriteAlignment} bytes.");

            plain = Decrypt(s, offset, data);
            int first = (int)(offset / WriteAlignment);
            int last = (int)((end - 1) / WriteAlignment);

            // First every comparison, so a conflicting write changes nothing.
            var stored = new byte[WriteAlignment];
            for (int b = first; b <= last; b++)
            {
                if (!s.Written[b])
                    continue;
                int length = BlockLength(s, b);
                ReadOnlySpan<byte> expected = plain.AsSpan((int)((uint)b * WriteAlignment - offset), length);
                if (!TryReadFlash(s.Region.Address + (uint)b * WriteAlignment, stored.AsSpan(0, length)) || !expected.SequenceEqual(stored.AsSpan(0, length)))
                    throw Error(BootloaderError.WriteConflict,
                        $"Payload bytes {(uint)b * WriteAlignment}..{(uint)b * WriteAlignment + length - 1} already hold other data: the host sends another image, or the update must be restarted (AbortUpdate, then BeginUpdate).");
            }

            for (int b = first; b <= last;)
            {
                if (s.Written[b])
                {
                    DuplicateBlocks++;
                    b++;
                    continue;
                }
                int runStart = b;
                while (b <= last && !s.Written[b])
                    b++;
                await ProgramRunAsync(s, runStart, b, plain, offset, cancellationToken).ConfigureAwait(false);
            }
            s.Advance();
            await CheckpointAsync(s, cancellationToken).ConfigureAwait(false);
            KickEraseAhead();
            return new WriteResponse(offset, (ushort)data.Length, s.Committed);
        }
        catch (FlashProgrammingException e)
        {
            throw Error(BootloaderError.FlashFault, e.Message);
        }
        finally
        {
            if (plain is not null)
                CryptographicOperations.ZeroMemory(plain);
            _firmware.Gate.Release();
        }
    }

    private static int BlockLength(UpdateSession s, int block) =>
        (int)Math.Min(WriteAlignment, s.PayloadSize - ((uint)block * WriteAlignment));

    private byte[] Decrypt(UpdateSession s, uint offset, byte[] data)
    {
        var plain = new byte[data.Length];
        if (s.Manifest.Encryption == Csa.Bootloader.Images.ImageEncryption.None)
            data.CopyTo(plain, 0);
        else
            new AesCtrEciesPayloadDecryptor(_firmware.DecryptionKey!).Decrypt(
                s.ContentKey ?? throw new InvalidOperationException("Bootloader invariant broken: an encrypted session without its content key."),
                s.Manifest.Nonce.Span, offset, data, plain);
        return plain;
    }

    // Blocks [blockStart, blockEnd) are unwritten: erase the sectors they touch that this session has not erased
    // (after a reset every sector at or past the watermark is dirty), then program them in one operation.
    private async Task ProgramRunAsync(UpdateSession s, int blockStart, int blockEnd, byte[] plain, uint offset, CancellationToken ct)
    {
        uint from = (uint)blockStart * WriteAlignment;
        uint to = Math.Min((uint)blockEnd * WriteAlignment, s.PayloadSize);
        uint address = s.Region.Address + from;
        foreach (FlashSector sector in Flash.Geometry.GetSectorsInRange(address, (int)(to - from)))
        {
            if (s.ErasedSectors.Contains(sector.Index))
                continue;
            EnsureNoWrittenBlock(s, sector);
            await Flash.EraseSectorAsync(sector.Index, ct).ConfigureAwait(false);
            s.ErasedSectors.Add(sector.Index);
        }
        int unit = Flash.ProgramUnitSize;
        int length = (int)(to - from);
        int padded = (length + unit - 1) / unit * unit; // only the payload's last block is short; 0xFF fills the unit
        var buffer = new byte[padded];
        buffer.AsSpan().Fill(FlashGeometry.ErasedValue);
        plain.AsSpan((int)(from - offset), length).CopyTo(buffer);
        try
        {
            await Flash.ProgramAsync(address, buffer, ct).ConfigureAwait(false);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
        for (int b = blockStart; b < blockEnd; b++)
            s.Written[b] = true;
        ProgrammedBlocks += blockEnd - blockStart;
    }

    // The guard behind "never erase committed bytes": a sector not erased in this session holds written blocks only
    // when it lies wholly below the persisted watermark, and such a sector has no unwritten block to program.
    private static void EnsureNoWrittenBlock(UpdateSession s, FlashSector sector)
    {
        long first = Math.Max(0, (long)sector.Address - s.Region.Address) / WriteAlignment;
        long last = Math.Min(s.Written.Length, ((long)sector.EndAddress - s.Region.Address + WriteAlignment - 1) / WriteAlignment);
        for (long b = first; b < last; b++)
            if (s.Written[b])
                throw new InvalidOperationException($"Bootloader invariant broken: {sector} would be erased although payload block {b} in it is written.");
    }

    // Persists the watermark when the contiguous prefix passed a sector boundary at least CheckpointBytes beyond the
    // last one persisted, or reached the payload's end. Only sector boundaries are persisted, so after a reset every
    // sector at or past the watermark can be erased without losing a committed byte.
    private async Task CheckpointAsync(UpdateSession s, CancellationToken ct)
    {
        uint candidate = s.Committed == s.PayloadSize ? s.PayloadSize : LastBoundaryAtOrBelow(s, s.Committed);
        if (candidate <= s.Persisted || (candidate != s.PayloadSize && candidate - s.Persisted < CheckpointBytes))
            return;
        await _firmware.AppendRecordAsync(_firmware.Record with { BytesCommitted = candidate }, ct).ConfigureAwait(false);
        s.Persisted = candidate;
        FirmwareLog.WatermarkPersisted(_firmware.Logger, s.Kind.ToString(), candidate);
    }

    private static uint LastBoundaryAtOrBelow(UpdateSession s, uint payloadOffset)
    {
        uint best = 0;
        foreach (FlashSector sector in s.Region.Sectors)
        {
            uint relative = sector.Address - s.Region.Address;
            if (relative <= payloadOffset)
                best = relative;
        }
        return best;
    }

    private bool TryReadFlash(uint address, Span<byte> destination)
    {
        try
        {
            Flash.Read(address, destination);
            return true;
        }
        catch (FlashProgrammingException e) when (e.Error == FlashError.EccDoubleError)
        {
            return false;
        }
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.DataLink;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Firmware;

// Write: offset-addressed, idempotent, erase on first touch, watermark every checkpoint interval.
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
            // The session is its owner's host (device-model.md 6.3): a write from another host would land in it. Compared
            // by node, not port: one host writes from several sockets (a group transfer has its own).
            if (s.Owner is { } owner && owner.Node != source.Node)
                throw Error(BootloaderError.Busy,
                    $"Host {owner.Node} owns the update in progress ({s.Committed} of {s.PayloadSize} bytes); it must finish or abort first (AbortUpdate).");
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
                await ProgramRunAsync(s, runStart, b, plain, offset, _firmware.RunStopping).ConfigureAwait(false);
            }
            s.Advance();
            // The chip hashes what it wrote (read back from flash) into the payload's running SHA-256.
            await _firmware.ComputeAsync(_firmware.Profile.CpuTiming?.Hash(data.Length) ?? TimeSpan.Zero).ConfigureAwait(false);
            await CheckpointAsync(s, _firmware.RunStopping).ConfigureAwait(false);
            _firmware.NoteUpdateCommand();
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

    // Blocks [blockStart, blockEnd) are unwritten. Each sector they touch is one of: erased in this session (program
    // there); dirty (no written block and not erased in this session, e.g. past the watermark after a reset: erase it
    // first); or resumed (it holds blocks below the persisted watermark and was not erased in this session: after a
    // reset, the sector the watermark lies in). In a resumed sector nothing may be erased without losing committed
    // bytes, so each program unit is compared with what is there (see ProgramIntoResumedSectorAsync).
    private async Task ProgramRunAsync(UpdateSession s, int blockStart, int blockEnd, byte[] plain, uint offset, CancellationToken ct)
    {
        uint from = (uint)blockStart * WriteAlignment;
        uint to = Math.Min((uint)blockEnd * WriteAlignment, s.PayloadSize);
        uint address = s.Region.Address + from;
        byte[] buffer = Padded(plain, (int)(from - offset), (int)(to - from));
        try
        {
            FlashSector[] sectors = Flash.Geometry.GetSectorsInRange(address, (int)(to - from)).ToArray();
            if (!sectors.Any(sector => IsResumed(s, sector)))
            {
                foreach (FlashSector sector in sectors)
                    await EnsureErasedAsync(s, sector, ct).ConfigureAwait(false);
                await Flash.ProgramAsync(address, buffer, ct).ConfigureAwait(false);
            }
            else
            {
                foreach (FlashSector sector in sectors)
                {
                    uint pieceFrom = Math.Max(address, sector.Address);
                    uint pieceTo = Math.Min(address + (uint)buffer.Length, sector.EndAddress);
                    ReadOnlyMemory<byte> piece = buffer.AsMemory((int)(pieceFrom - address), (int)(pieceTo - pieceFrom));
                    if (IsResumed(s, sector) && await ProgramIntoResumedSectorAsync(s, sector, pieceFrom, piece, ct).ConfigureAwait(false))
                        continue;
                    await EnsureErasedAsync(s, sector, ct).ConfigureAwait(false);
                    await Flash.ProgramAsync(pieceFrom, piece, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
        for (int b = blockStart; b < blockEnd; b++)
            s.Written[b] = true;
        ProgrammedBlocks += blockEnd - blockStart;
    }

    // The data padded with 0xFF to whole program units (only the payload's last block is short).
    private byte[] Padded(byte[] plain, int start, int length)
    {
        int unit = Flash.ProgramUnitSize;
        var buffer = new byte[(length + unit - 1) / unit * unit];
        buffer.AsSpan().Fill(FlashGeometry.ErasedValue);
        plain.AsSpan(start, length).CopyTo(buffer);
        return buffer;
    }

    private static bool IsResumed(UpdateSession s, FlashSector sector) => !s.ErasedSectors.Contains(sector.Index) && HoldsWrittenBlock(s, sector);

    private async Task EnsureErasedAsync(UpdateSession s, FlashSector sector, CancellationToken ct)
    {
        if (s.ErasedSectors.Contains(sector.Index))
            return;
        EnsureNoWrittenBlock(s, sector);
        await Flash.EraseSectorAsync(sector.Index, ct).ConfigureAwait(false);
        s.ErasedSectors.Add(sector.Index);
    }

    /// <summary>
    /// Writes <paramref name="piece"/> at <paramref name="address"/> inside a resumed sector without erasing it. Past the
    /// watermark such a sector holds, unit by unit, what this update wrote before the reset (the same image: the same
    /// bytes), erased cells, or one unit torn by the cut (part of its bits: F4; an ECC error: L4). Units that hold the
    /// data are kept, erased ones are programmed (in runs, one operation each), so no unit is ever programmed twice.
    /// A torn unit can only be repaired by an erase: then false, after the sector's blocks were forgotten and the
    /// watermark moved back to the sector's start in the journal (before the erase the caller makes, so a cut during
    /// it leaves a watermark that counts nothing in the sector).
    /// </summary>
    private async Task<bool> ProgramIntoResumedSectorAsync(UpdateSession s, FlashSector sector, uint address, ReadOnlyMemory<byte> piece, CancellationToken ct)
    {
        int unit = Flash.ProgramUnitSize;
        var stored = new byte[unit];
        var program = new bool[piece.Length / unit];
        for (int u = 0; u < program.Length; u++)
        {
            ReadOnlySpan<byte> wanted = piece.Span.Slice(u * unit, unit);
            if (!TryReadFlash(address + (uint)(u * unit), stored))
                return await ForgetResumedSectorAsync(s, sector, ct).ConfigureAwait(false);
            if (wanted.SequenceEqual(stored))
                continue;
            if (stored.AsSpan().ContainsAnyExcept(FlashGeometry.ErasedValue))
                return await ForgetResumedSectorAsync(s, sector, ct).ConfigureAwait(false);
            program[u] = true;
        }
        for (int u = 0; u < program.Length;)
        {
            if (!program[u])
            {
                u++;
                continue;
            }
            int first = u;
            while (u < program.Length && program[u])
                u++;
            await Flash.ProgramAsync(address + (uint)(first * unit), piece.Slice(first * unit, (u - first) * unit), ct).ConfigureAwait(false);
        }
        return true;
    }

    private async Task<bool> ForgetResumedSectorAsync(UpdateSession s, FlashSector sector, CancellationToken ct)
    {
        uint sectorStart = sector.Address - s.Region.Address;
        FirmwareLog.ResumedSectorTorn(_firmware.Logger, s.Kind.ToString(), sector.Index, sectorStart);
        s.ForgetSector(sectorStart, sector.EndAddress - s.Region.Address);
        if (_firmware.Record.BytesCommitted > sectorStart)
            await _firmware.AppendRecordAsync(_firmware.Record with { BytesCommitted = sectorStart }, ct).ConfigureAwait(false);
        return false;
    }

    // The guard behind "never erase committed bytes": a sector not erased in this session holds written blocks only
    // when it lies below the persisted watermark or holds it (a resumed sector), and such a sector is never erased
    // while it holds them.
    private static void EnsureNoWrittenBlock(UpdateSession s, FlashSector sector)
    {
        long first = Math.Max(0, (long)sector.Address - s.Region.Address) / WriteAlignment;
        long last = Math.Min(s.Written.Length, ((long)sector.EndAddress - s.Region.Address + WriteAlignment - 1) / WriteAlignment);
        for (long b = first; b < last; b++)
            if (s.Written[b])
                throw new InvalidOperationException($"Bootloader invariant broken: {sector} would be erased although payload block {b} in it is written.");
    }

    // Persists the watermark when the contiguous prefix moved CheckpointInterval bytes beyond the last one persisted,
    // or reached the payload's end. Any 16-byte boundary: after a reset the sector holding it is continued by
    // comparison (a resumed sector), the sectors past it are erased on first touch.
    private async Task CheckpointAsync(UpdateSession s, CancellationToken ct)
    {
        uint candidate = s.Committed;
        if (candidate <= s.Persisted || (candidate != s.PayloadSize && candidate - s.Persisted < CheckpointInterval))
            return;
        await _firmware.AppendRecordAsync(_firmware.Record with { BytesCommitted = candidate }, ct).ConfigureAwait(false);
        s.Persisted = candidate;
        FirmwareLog.WatermarkPersisted(_firmware.Logger, s.Kind.ToString(), candidate);
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

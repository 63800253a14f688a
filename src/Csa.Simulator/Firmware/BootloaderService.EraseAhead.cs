using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;

namespace Csa.Simulator.Firmware;

// Erase-ahead: while the host streams writes, the bootloader erases the sectors the payload needs next whenever no
// command is waiting, so an erase overlaps with frames arriving into the receive buffers instead of stopping the
// link. docs/device-model.md section 6.4 says what the chips allow and why the power-cut guarantees still hold.
public sealed partial class BootloaderService
{
    private int _commandsWaiting;
    private int _eraserActive;

    /// <summary>Sectors (pages) erased ahead of the writes since the device was created.</summary>
    public long SectorsErasedAhead { get; private set; }

    /// <summary>True while the background eraser runs (it stops when nothing is left to erase, or a command waits).</summary>
    public bool IsErasingAhead => Volatile.Read(ref _eraserActive) != 0;

    /// <summary>
    /// Called when a background erase loses power: the device is off, as when a command's flash operation loses power.
    /// Set by the shell that runs the firmware.
    /// </summary>
    internal Action? BackgroundPowerLost { get; set; }

    /// <summary>
    /// What the receive path holds (<see cref="ReceivePathState"/>): read when a command starts and before each background
    /// erase, so an erase starts when the line has just begun a frame (below), and for the diagnostic log. Set by the
    /// shell that runs the firmware; null: erases start whenever no command waits.
    /// </summary>
    internal Func<ReceivePathState>? ReceivePath { get; set; }

    // True when the last command started as its packet arrived: less than PhaseSlack bytes of the next frame were in.
    private volatile bool _lastCommandOnArrival = true;

    // How far into a frame the line may be for the device to count as in step with it: 1/16 of the largest frame (64 bytes
    // of a 1 KiB frame, 5.6 ms at 115200 baud), above what a command's start lags behind its packet's arrival.
    private int PhaseSlack => Math.Max(64, _firmware.Profile.MaxFrameSize / 16);

    /// <summary>Notes, as a command starts, whether it started as its packet arrived (nothing queued before it).</summary>
    private void NoteCommandStart() =>
        _lastCommandOnArrival = ReceivePath?.Invoke() is not { } path || path.BytesOfNextFrame <= PhaseSlack;

    /// <summary>
    /// False while an erase now would waste the host's window: the device has just worked through commands that waited
    /// in its receive buffers (behind an erase), and the line is partway into the next frame. An erase covers the line
    /// only with what the host has sent and the device has not answered: the frame arriving and the writes behind it.
    /// The host sends a write for each answer, so right after a command that started as its packet arrived that is
    /// nearly the whole window (the next frame has just begun); after a backlog it can be a window less most of a frame
    /// (3 x 4 KiB buffers at 115200 baud: 0.72 s of line instead of 1.07 s for a 1 s erase). The eraser then waits for
    /// the next command, which starts as it arrives, and erases right after it. docs/device-model.md section 6.4.1.
    /// </summary>
    private bool InStepWithLine() =>
        _lastCommandOnArrival || ReceivePath?.Invoke() is not { } path || path.BytesOfNextFrame <= PhaseSlack;

    /// <summary>Starts the background eraser for the session, unless the profile turns erase-ahead off or it runs already.</summary>
    private void KickEraseAhead()
    {
        if (!_firmware.Profile.EraseAhead || _session is not { Complete: false, EraseAhead: true } session)
            return;
        if (Interlocked.CompareExchange(ref _eraserActive, 1, 0) != 0)
            return;
        CancellationToken power = Flash.PowerEpoch;
        _ = Task.Run(() => EraseAheadAsync(session, power));
    }

    // One erase at a time, each under the command gate (the flash controller runs one operation, and on a single-bank
    // chip the CPU does nothing else meanwhile); it only starts when no command waits, for the gate or in the RPC server's
    // receive buffers behind an earlier command of its host (CommandsReceived), so a command never queues behind more
    // than the one erase that was already running when it arrived.
    // It ends with the power it started under: after a cut the flash may be powered on for another firmware run.
    private async Task EraseAheadAsync(UpdateSession session, CancellationToken power)
    {
        try
        {
            while (true)
            {
                await _firmware.Gate.WaitAsync(power).ConfigureAwait(false);
                try
                {
                    if (power.IsCancellationRequested || !ReferenceEquals(Flash.Runner, _firmware) || !ReferenceEquals(_session, session) || !session.EraseAhead || session.Complete
                        || Volatile.Read(ref _commandsWaiting) > 0 || CommandsReceived?.Invoke() == true)
                        return;
                    if (NextSectorToEraseAhead(session) is not { } sector || !InStepWithLine())
                        return; // nothing to erase; or a frame is partway in after a backlog: the next command kicks the eraser again
                    EnsureNoWrittenBlock(session, sector);
                    ReceivePathState? before = ReceivePath?.Invoke();
                    long started = _firmware.Time.GetTimestamp();
                    // Not cancellable: the controller cannot abort an erase, and the gate stays held until it has landed.
                    await Flash.EraseSectorAsync(sector.Index, CancellationToken.None).ConfigureAwait(false);
                    session.ErasedSectors.Add(sector.Index);
                    SectorsErasedAhead++;
                    LogErasedAhead(session, sector, before, _firmware.Time.GetElapsedTime(started));
                    if (_firmware.RawCheck(session.Kind).IsValid)
                        _firmware.RefreshCheck(session.Kind); // the old image just lost part of its payload (or its trailer)
                }
                finally
                {
                    _firmware.Gate.Release();
                }
            }
        }
        catch (PowerLossException)
        {
            BackgroundPowerLost?.Invoke();
        }
        catch (OperationCanceledException) when (power.IsCancellationRequested)
        {
            // The power went while the eraser waited for the gate.
        }
        catch (FlashProgrammingException e)
        {
            // The sector stays unerased in the session: the first write into it erases it again (and answers FlashFault
            // if the flash refuses again).
            FirmwareLog.EraseAheadFailed(_firmware.Logger, session.Kind.ToString(), e.Message);
        }
        finally
        {
            Volatile.Write(ref _eraserActive, 0);
        }
    }

    // The diagnostic that says whether an erase cost line time: the bytes that arrived while it ran against its duration
    // (at 115200 baud 8N1 a busy line delivers 11 520 bytes a second), how far into a frame the line was when it started,
    // and the commands waiting at its start and end (as many at its end as the receive buffers hold, with the one the gate
    // holds back: the host's whole window had arrived, and the line went idle before the erase ended).
    private void LogErasedAhead(UpdateSession session, FlashSector sector, ReceivePathState? before, TimeSpan took)
    {
        if (!_firmware.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
            return;
        if (before is { } start && ReceivePath?.Invoke() is { } end)
        {
            FirmwareLog.ErasedAheadWhileReceiving(_firmware.Logger, session.Kind.ToString(), sector.Index, took.TotalMilliseconds,
                end.BytesReceived - start.BytesReceived, start.BytesOfNextFrame, start.CommandsWaiting, end.CommandsWaiting, session.Committed);
        }
        else
        {
            FirmwareLog.ErasedAhead(_firmware.Logger, session.Kind.ToString(), sector.Index);
        }
    }

    /// <summary>
    /// The next sector to erase: the first one at or after the sector holding the contiguous prefix's end that the
    /// session has not erased and that holds no written block (a host writing out of order may have filled blocks
    /// further on; such a sector is left to the first write that needs it), in payload order; then the trailer's
    /// sectors, which only FinishUpdate needs.
    /// </summary>
    private FlashSector? NextSectorToEraseAhead(UpdateSession s)
    {
        uint frontAddress = s.Region.Address + Math.Min(s.Committed, s.PayloadSize == 0 ? 0 : s.PayloadSize - 1);
        uint payloadEnd = s.Region.Address + s.PayloadSize;
        uint trailer = ImageTrailer.AreaAddress(s.Region);
        foreach (FlashSector sector in s.Region.Sectors)
        {
            bool payload = sector.EndAddress > frontAddress && sector.Address < payloadEnd;
            if (!payload || s.ErasedSectors.Contains(sector.Index) || HoldsWrittenBlock(s, sector))
                continue;
            return sector;
        }
        foreach (FlashSector sector in s.Region.Sectors)
        {
            if (sector.EndAddress > trailer && !s.ErasedSectors.Contains(sector.Index) && !HoldsWrittenBlock(s, sector))
                return sector;
        }
        return null;
    }

    private static bool HoldsWrittenBlock(UpdateSession s, FlashSector sector)
    {
        long first = Math.Max(0, (long)sector.Address - s.Region.Address) / WriteAlignment;
        long last = Math.Min(s.Written.Length, ((long)sector.EndAddress - s.Region.Address + WriteAlignment - 1) / WriteAlignment);
        for (long b = first; b < last; b++)
            if (s.Written[b])
                return true;
        return false;
    }
}

using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;

namespace Csa.Bootloader.Updates.Internal;

// One image into one region: check, offer (resume), pipelined writes, finish and verify.
internal sealed partial class UpdateRun
{
    /// <summary>The bytes of a Write packet that are not data: the RPC header and the request's offset and length fields.</summary>
    private const int WritePacketOverhead = RpcPacketHeader.Size + WriteRequest.MinEncodedSize;

    // writesBehindBegin: the device ran its application at this attempt's contact, so no update can be resumed; the first
    // window of writes follows BeginUpdate without waiting for its answer (OfferAndWriteAsync).
    private async Task WriteImageAsync(UpdateTarget target, RegionKind region, FirmwareImage image, bool writesBehindBegin = false)
    {
        ImageManifest manifest = image.Manifest;
        // With the bootloader's read in flight, the device announced its bootloader and the image was checked against
        // everything it reported before it left its application (MayOverlapBootloaderRead).
        if (_bootloaderRead is null)
            _ = _device.Bootloader ?? throw Mismatch("The device left its bootloader before the image could be offered.");
        _legTotal = manifest.PayloadSize;
        _legDone = 0;
        _legResumed = 0;
        Enter(UpdateStage.Checking);
        if (_options.LocalPreCheck && _bootloaderRead is null)
            LocalPreCheck.Check(_device, region, image, _options);

        byte[] wrappedKey = [];
        if (manifest.Encryption != ImageEncryption.None)
        {
            // Only this device's entry goes to the device: it never learns who else the image is for.
            wrappedKey = image.FindWrappedKey(_uid)?.WrappedKey.ToArray()
                ?? throw new UpdateRejectedException(_uid, ImageRejection.NoKeyForThisDevice, $"The encrypted image has no wrapped key for device {_uid}.");
        }

        // REQ-AUTH-DEV: the device that receives BeginUpdate proves, now, that it is the one authenticated at first contact.
        await AuthenticateDeviceAsync().ConfigureAwait(false);
        // From the offer to the verification the device may restart under the host (a power cut): its announcement
        // stops the commands in flight at once instead of after their timeouts.
        var watch = new DeviceReturnWatch(_network, _device, ProbeTimeout, _ct);
        try
        {
            await OfferAndWriteAsync(target, region, image, wrappedKey, writesBehindBegin, watch.Token).ConfigureAwait(false);
        }
        finally
        {
            _returned = watch.Returned;
            watch.Dispose();
        }
        _begun = false;
        _imagesWritten++;
    }

    /// <summary>How long a member of a transfer to a group waits for the members behind it to offer their images first.</summary>
    private static readonly TimeSpan BeginTurnWait = TimeSpan.FromSeconds(1);

    private TimeSpan ProbeTimeout => _options.RestartProbeTimeout < _options.CommandTimeout ? _options.RestartProbeTimeout : _options.CommandTimeout;

    /// <summary>
    /// BeginUpdate, the writes, FinishUpdate and the region hash. With <paramref name="writesBehindBegin"/> (a device that
    /// ran its application at this attempt's contact, written by itself) the first window of writes goes out right behind
    /// BeginUpdate, sized by what the device reported before (its receive buffers, packet and frame size, and the
    /// protocol's 16-byte write alignment), without waiting for BeginUpdate's answer: the device takes its commands in
    /// arrival order, so they find the session BeginUpdate opened. A refused BeginUpdate opens none: the device answers
    /// those writes "no update in progress" and keeps nothing, and the call reports BeginUpdate's refusal, not theirs.
    /// When BeginUpdate answers a resume offset other than 0 or limits the early writes do not meet (neither happens for
    /// a device that ran its application, but the device has the last word), the early writes are let finish, their
    /// answers ignored (writes are idempotent), and the payload is written as after any BeginUpdate.
    /// </summary>
    private async Task OfferAndWriteAsync(UpdateTarget target, RegionKind region, FirmwareImage image, byte[] wrappedKey, bool writesBehindBegin, CancellationToken work)
    {
        ImageManifest manifest = image.Manifest;
        using BootloaderClient client = _network.CreateBootloaderClient(_device);
        Enter(UpdateStage.Erasing);
        // The members of a transfer to a group offer their images from the end of their chain (ChainTurns).
        bool turn = _shared is not null && _turns is not null && target == UpdateTarget.Application;
        if (turn)
            await _turns!.BeforeBeginAsync(_uid, BeginTurnWait, _time, work).ConfigureAwait(false);
        bool early = writesBehindBegin && _shared is null;
        BeginUpdateResponse begin;
        Task? earlyWrites = null;
        TaskCompletionSource issued = new(TaskCreationOptions.RunContinuationsAsynchronously);
        int earlyChunk = early ? ExpectedChunkSize() : 0;
        try
        {
            Task<BeginUpdateResponse> offered = client.BeginUpdateAsync(
                new BeginUpdateRequest(target, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), wrappedKey),
                FlashCallOptions(null), work);
            if (turn || (_turns is not null && _turns.WrittenByItself(_uid) && target == UpdateTarget.Application))
                _turns!.BeginSent(_uid);
            if (early)
            {
                _rate.Reset();
                earlyWrites = TransferAsync(client, image.Payload, 0, earlyChunk, FlashCallOptions(null), issued, work, offered);
            }
            begin = await offered.ConfigureAwait(false);
        }
        catch (RpcErrorException e) when (IsRefusal(e, out BootloaderError code))
        {
            ForgetBootloaderRead();
            await LetFinishAsync(earlyWrites).ConfigureAwait(false);
            throw new UpdateRejectedException(_uid, code, e.Message, e);
        }
        catch
        {
            ForgetBootloaderRead();
            await LetFinishAsync(earlyWrites).ConfigureAwait(false);
            throw;
        }
        _begun = true;
        // The bootloader's read went out before BeginUpdate (its answers are here by now): its buffers and packet size
        // size the writes.
        try
        {
            await TakeBootloaderReadAsync().ConfigureAwait(false);
            if (begin.ResumeOffset > manifest.PayloadSize)
                throw Mismatch($"The device answered resume offset {begin.ResumeOffset} for a {manifest.PayloadSize}-byte payload.");
            if (begin.WriteAlignment == 0 || begin.MaxWriteSize < begin.WriteAlignment)
                throw Mismatch($"The device answered write alignment {begin.WriteAlignment} and maximum write {begin.MaxWriteSize}: no write can be made.");
        }
        catch
        {
            await LetFinishAsync(earlyWrites).ConfigureAwait(false);
            throw;
        }
        if (earlyWrites is not null && !EarlyWritesFit(begin, earlyChunk))
        {
            // The early writes went out on assumptions the answer does not confirm: let them end (what landed counts,
            // writes being idempotent) and write as after any BeginUpdate.
            await LetFinishAsync(earlyWrites).ConfigureAwait(false);
            earlyWrites = null;
        }
        UpdateLog.Offered(_logger, Uid, manifest.ToString(), target.ToString(), begin.ResumeOffset, manifest.PayloadSize);
        if (earlyWrites is null)
        {
            _legResumed = begin.ResumeOffset;
            _legDone = begin.ResumeOffset;
            _bytesResumed += begin.ResumeOffset;
            _rate.Reset();
            Report();
        }
        // (With writes behind BeginUpdate nothing was resumed, and their answers, which may already be arriving, report.)

        bool written = earlyWrites is null && begin.ResumeOffset >= manifest.PayloadSize;
        if (_shared is { } shared)
        {
            // A transfer to a group carries the payload when this device can take part; otherwise (it holds the image
            // already, it cannot join, the transfer is over, or this is a bootloader copy) it writes by itself.
            if (!written && target == UpdateTarget.Application)
            {
                try
                {
                    written = await shared.TransferAsync(new MulticastJoin(_device, begin.ResumeOffset, ChunkSize(begin), SharedWindow(), SharedBuffers(),
                        FlashCallOptions(begin.EraseMillisecondsMax).Timeout ?? _options.CommandTimeout, OnSharedProgress), work).ConfigureAwait(false) == MulticastOutcome.Complete;
                }
                catch
                {
                    _turns?.Leave(_uid); // left behind: it goes on by itself, and nobody waits for it
                    throw;
                }
            }
            else
            {
                shared.Withdraw(_uid);
            }
            _multicast |= written && begin.ResumeOffset < manifest.PayloadSize;
            if (!_multicast)
                _turns?.Leave(_uid); // written by itself: it takes no turn, and nobody waits for it
        }
        if (written)
        {
            Enter(UpdateStage.Verifying);
            await FinishAndVerifyAsync(client, region, manifest, begin.EraseMillisecondsMax, null, work).ConfigureAwait(false);
            return;
        }
        // A resumed session may hold blocks above its contiguous prefix (the writes of a transfer to a group it left, or
        // writes that landed out of order before a fault): those the device reports held are not sent again (HolesAsync).
        IReadOnlyList<(int From, int To)>? holes = null;
        if (earlyWrites is null)
        {
            issued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (MayHoldBlocksAbovePrefix(begin, manifest.PayloadSize))
                holes = await HolesAsync(client, begin, manifest.PayloadSize, work).ConfigureAwait(false);
        }
        // FinishUpdate and the region hash follow the last write at once, without waiting for the writes' answers: the
        // RPC client hands calls to the link in the order they were issued (those that waited for its window included),
        // and the device takes its commands in the order they arrive, so the finish finds every write that arrived
        // before it. Only a write whose first copy was lost, and that the RPC layer sent again, arrives after the
        // finish: that finish answers Incomplete and is asked again (FinishAndVerifyAsync).
        Task transferred = earlyWrites
            ?? TransferAsync(client, image.Payload, (int)begin.ResumeOffset, ChunkSize(begin), FlashCallOptions(begin.EraseMillisecondsMax), issued, work, holes: holes);
        await Task.WhenAny(issued.Task, transferred).ConfigureAwait(false);
        if (transferred.IsCompleted)
            await transferred.ConfigureAwait(false); // it ended before every write was issued: its fault, or every block was held already
        await FinishAndVerifyAsync(client, region, manifest, begin.EraseMillisecondsMax, transferred, work).ConfigureAwait(false);
    }

    /// <summary>
    /// True when the session BeginUpdate resumed may hold written blocks above its contiguous prefix, and the device can
    /// say which (it advertises <see cref="Csa.Rpc.Device.FeatureFlags.Multicast"/>, so it answers GetMissingBlocks, device-model.md
    /// section 6.4.2): a resume offset above 0, a resume of this call after a fault (a member that left a transfer to a
    /// group, a link or power lost), or a device found with an update in progress. A new update in a device that ran its
    /// application has nothing to ask about, and its writes do not wait for the question's round trip.
    /// </summary>
    private bool MayHoldBlocksAbovePrefix(BeginUpdateResponse begin, uint payloadSize) =>
        begin.ResumeOffset < payloadSize && FirmwareUpdater.TakesMulticast(_device)
        && (begin.ResumeOffset > 0 || _resumeCount > 0 || _device.Bootloader?.Phase == UpdatePhase.Receiving);

    /// <summary>
    /// The runs of the payload above the resume offset that the device still lacks, in blocks of the write size
    /// (GetMissingBlocks, page by page), merged where they touch; null when the device does not know the command (it
    /// is then written from the resume offset, as by a device without the block map). What the device holds between
    /// the runs counts as resumed, not sent. The answer is trusted only to skip writes: FinishUpdate reads the whole
    /// payload back and checks its hash against the manifest, so a block the device claimed but its flash lacks ends in
    /// PayloadHashMismatch, nothing committed (docs/updates.md section 5, "What the map is trusted for").
    /// </summary>
    private async Task<IReadOnlyList<(int From, int To)>?> HolesAsync(BootloaderClient client, BeginUpdateResponse begin, uint payloadSize, CancellationToken work)
    {
        int chunk = ChunkSize(begin);
        long from = begin.ResumeOffset;
        SortedSet<int> missing;
        try
        {
            // Asked right after BeginUpdate, it may wait behind the erase BeginUpdate started (erase-ahead).
            missing = await MissingBlocks.ReadAsync(client, from, payloadSize, chunk, FlashCallOptions(begin.EraseMillisecondsMax), work).ConfigureAwait(false);
        }
        catch (RpcErrorException e) when (e.Status == RpcStatus.UnknownCommand)
        {
            return null;
        }
        var runs = new List<(int From, int To)>();
        foreach (int block in missing)
        {
            int start = (int)(from + (long)block * chunk);
            int end = (int)Math.Min(start + (long)chunk, payloadSize);
            if (runs.Count > 0 && runs[^1].To == start)
                runs[^1] = (runs[^1].From, end);
            else
                runs.Add((start, end));
        }
        long lacking = runs.Sum(r => (long)(r.To - r.From));
        long held = payloadSize - from - lacking;
        UpdateLog.HolesOnResume(_logger, Uid, begin.ResumeOffset, held, lacking, runs.Count);
        if (held > 0)
        {
            CountHeld(held);
            Report();
        }
        return runs;
    }

    /// <summary>
    /// Counts <paramref name="bytes"/> that the device already holds, found above where the transfer resumed, as done
    /// and resumed, not sent. The progress counters change under <see cref="_progressLock"/> only: the writes' answers,
    /// a group's acknowledgements and these skips may all move them at once.
    /// </summary>
    private void CountHeld(long bytes)
    {
        lock (_progressLock)
        {
            _legDone += bytes;
            _legResumed += bytes;
            _bytesResumed += bytes;
        }
    }

    /// <summary>
    /// The bytes per write before BeginUpdate has answered: what <see cref="ChunkSize(int, int)"/> makes of the frame and packet size
    /// the device reported and the protocol's write alignment (16, device-model.md section 6.4), with the largest write
    /// both implementations answer (the packet size less 64, at most 4096: device-model.md section 6.3). A device that
    /// answers otherwise only costs the early writes (<see cref="EarlyWritesFit"/>).
    /// </summary>
    private int ExpectedChunkSize() =>
        ChunkSize(ProtocolWriteAlignment, Math.Min(ExpectedLargestWrite, _device.MaxPacketSize - ExpectedWriteReserve));

    /// <summary>The largest write a Csa bootloader answers at most, and what it keeps of its packet size for the rest of a Write (device-model.md section 6.3).</summary>
    private const int ExpectedLargestWrite = 4096, ExpectedWriteReserve = 64;

    /// <summary>The write alignment every Csa bootloader answers (device-model.md section 6.4): offsets and lengths are multiples of it.</summary>
    private const int ProtocolWriteAlignment = 16;

    /// <summary>True when BeginUpdate's answer confirms what the writes sent behind it assumed: a new transfer, and their size.</summary>
    private bool EarlyWritesFit(BeginUpdateResponse begin, int earlyChunk) => begin.ResumeOffset == 0 && ChunkSize(begin) == earlyChunk;

    /// <summary>Waits for writes whose outcome no longer matters (sent behind a BeginUpdate that failed, or on assumptions its answer did not confirm).</summary>
    private async Task LetFinishAsync(Task? writes)
    {
        if (writes is null)
            return;
        try
        {
            await writes.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !_ct.IsCancellationRequested)
        {
            // Their errors ("no update in progress" after a refusal) are not the call's outcome.
        }
    }

    /// <summary>
    /// FinishUpdate, then (with <see cref="UpdateOptions.VerifyRegionHash"/>) the region's hash. Both go out together:
    /// the device runs its commands in order, so the hash is of the committed region, and the host waits one round trip
    /// instead of two. When the finish fails, the hash's answer (a refusal, the region not being valid) is ignored.
    /// With <paramref name="transferred"/> (the writes, every one issued but not every one answered), both go out behind
    /// the last write; the stage becomes Verifying once every write is answered. A finish that arrived before a write
    /// (one the RPC layer had to send again: the RPC client keeps the issue order, so nothing else overtakes a write)
    /// answers Incomplete: once every write is answered, the finish and the hash are asked once more. The hash left
    /// behind the finish, so a hash that does not match the manifest after a confirmed commit is a mismatch.
    /// </summary>
    private async Task FinishAndVerifyAsync(BootloaderClient client, RegionKind region, ImageManifest manifest, uint? eraseMillisecondsMax, Task? transferred, CancellationToken work)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(work);
        (Task<FinishUpdateResponse> finishing, Task<GetRegionHashResponse>? hashing) = AskFinishAndHash(client, region, manifest, eraseMillisecondsMax, stop.Token);
        if (transferred is not null)
        {
            try
            {
                await transferred.ConfigureAwait(false);
            }
            catch
            {
                // A write failed: the finish that followed it means nothing (and is not waited for).
                await stop.CancelAsync().ConfigureAwait(false);
                Observe(finishing);
                throw;
            }
            Enter(UpdateStage.Verifying);
        }
        FinishUpdateResponse finish;
        try
        {
            try
            {
                finish = await finishing.ConfigureAwait(false);
            }
            catch (RpcErrorException e) when (transferred is not null && BootloaderInterface.TryGetError(e, out BootloaderError early) && early == BootloaderError.Incomplete)
            {
                // It arrived before a write the RPC layer had to send again: every write is answered now.
                (finishing, hashing) = AskFinishAndHash(client, region, manifest, eraseMillisecondsMax, stop.Token);
                finish = await finishing.ConfigureAwait(false);
            }
        }
        catch (RpcErrorException e) when (IsRefusal(e, out BootloaderError code))
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw new UpdateRejectedException(_uid, code, e.Message, e);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        if (!finish.PayloadSha256.AsSpan().SequenceEqual(manifest.PayloadSha256.Span))
            throw Mismatch($"The device committed a payload with SHA-256 {Convert.ToHexString(finish.PayloadSha256)}; the manifest says {Convert.ToHexString(manifest.PayloadSha256.Span)}.");
        if (hashing is null)
            return;
        GetRegionHashResponse stored;
        try
        {
            stored = await hashing.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcErrorException or RpcTimeoutException && !work.IsCancellationRequested)
        {
            // Asked together with the finish, it may have been lost on its own: ask once more, alone.
            stored = await client.GetRegionHashAsync(new GetRegionHashRequest(region, 0, manifest.PayloadSize), CallOptions(), work).ConfigureAwait(false);
        }
        if (!stored.Sha256.AsSpan().SequenceEqual(manifest.PayloadSha256.Span))
            throw Mismatch($"{region} holds a payload with SHA-256 {Convert.ToHexString(stored.Sha256)} after the commit; the manifest says {Convert.ToHexString(manifest.PayloadSha256.Span)}.");
    }

    /// <summary>Sends FinishUpdate and, with <see cref="UpdateOptions.VerifyRegionHash"/>, GetRegionHash right behind it.</summary>
    private (Task<FinishUpdateResponse> Finishing, Task<GetRegionHashResponse>? Hashing) AskFinishAndHash(
        BootloaderClient client, RegionKind region, ImageManifest manifest, uint? eraseMillisecondsMax, CancellationToken cancellationToken)
    {
        Task<FinishUpdateResponse> finishing = client.FinishUpdateAsync(new FinishUpdateRequest(), FlashCallOptions(eraseMillisecondsMax), cancellationToken);
        Task<GetRegionHashResponse>? hashing = _options.VerifyRegionHash
            ? client.GetRegionHashAsync(new GetRegionHashRequest(region, 0, manifest.PayloadSize),
                // it runs after the finish, whose commit may first erase the trailer's sector
                FlashCallOptions(eraseMillisecondsMax), cancellationToken)
            : null;
        if (hashing is not null)
            Observe(hashing);
        return (finishing, hashing);
    }

    /// <summary>A request whose answer may be left unread: its fault is observed, not thrown.</summary>
    private static void Observe(Task task) =>
        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// Writes in flight to this device in a transfer to a group: its receive buffers (or <see cref="UpdateOptions.MaxWritesInFlight"/>),
    /// plus, on a daisy chain, one for each device in front of it: every one of those stores a frame and forwards it, so
    /// that many writes are on their way and fill no buffer of this device. Without them the window of a device deep in
    /// a chain is mostly on the wire, and what is left of it covers less of an erase than its buffers would (docs/updates.md
    /// section 10a). Within the replay window.
    /// </summary>
    private int SharedWindow()
    {
        int onTheWay = _options.MaxWritesInFlight is null ? Math.Max(0, _device.ChainPosition) : 0;
        return Math.Max(1, Math.Min(SharedBuffers() + onTheWay, Rpc.RpcProtocol.ReplayWindow - 1));
    }

    /// <summary>The writes of a transfer to a group that this device's receive buffers hold (its window after a Busy answer).</summary>
    private int SharedBuffers() =>
        Math.Max(1, Math.Min(Math.Min((int)_device.ReceiveBuffers, _options.MaxWritesInFlight ?? int.MaxValue), Rpc.RpcProtocol.ReplayWindow - 1));

    /// <summary>A write of a transfer to a group reached this device: it holds <paramref name="held"/> bytes now.</summary>
    private void OnSharedProgress(long held, long acknowledged)
    {
        double rate;
        bool firstAck;
        lock (_progressLock)
        {
            _bytesSent += acknowledged;
            long delta = Math.Max(0, held - _legDone);
            _legDone = Math.Max(_legDone, held);
            rate = _rate.Record(_legDone - _legResumed);
            firstAck = _stage == UpdateStage.Erasing && delta > 0;
            if (firstAck)
                _stage = UpdateStage.Transferring;
        }
        if (firstAck)
            UpdateLog.StageEntered(_logger, Uid, UpdateStage.Transferring);
        Report(rate);
    }

    /// <summary>True when <paramref name="region"/> holds exactly <paramref name="image"/>'s payload and is valid.</summary>
    private async Task<bool> HoldsAsync(BootloaderClient client, RegionInfo region, FirmwareImage image)
    {
        if (region.State != RegionState.Valid || region.Version != image.Manifest.Version || image.Manifest.PayloadSize > region.Size)
            return false;
        GetRegionHashResponse stored;
        try
        {
            stored = await client.GetRegionHashAsync(new GetRegionHashRequest(region.Region, 0, image.Manifest.PayloadSize), CallOptions(), _ct).ConfigureAwait(false);
        }
        catch (RpcErrorException e) when (IsRefusal(e, out BootloaderError code) && code == BootloaderError.RangeNotAllowed)
        {
            return false; // the valid image there has another payload size: it is not this image
        }
        return stored.Sha256.AsSpan().SequenceEqual(image.Manifest.PayloadSha256.Span);
    }

    /// <summary>
    /// The bytes per write: the largest multiple of the alignment that fits one frame on the path (so a lost frame
    /// costs one write) and the device's packet and write limits, unless the options say otherwise.
    /// </summary>
    private int ChunkSize(BeginUpdateResponse begin) => ChunkSize(begin.WriteAlignment, (int)begin.MaxWriteSize);

    /// <summary>The write size for a device that writes in multiples of <paramref name="alignment"/>, at most <paramref name="maxWriteSize"/> at once.</summary>
    private int ChunkSize(int alignment, int maxWriteSize)
    {
        int limit = Math.Min(maxWriteSize, _device.MaxPacketSize - WritePacketOverhead);
        int wanted = _options.WriteChunkSize ?? Math.Max(alignment, DataLinkProtocol.PayloadPerFrame(_device.PathFrameSize) - WritePacketOverhead);
        int chunk = Math.Min(wanted, limit) / alignment * alignment;
        return Math.Max(alignment, chunk);
    }

    /// <summary>
    /// Sends the payload from <paramref name="start"/> in writes of <paramref name="chunk"/> bytes, keeping as many in
    /// flight as the device has receive buffers. <paramref name="issued"/> completes once the last write has been handed
    /// to the RPC client (not when the first failure stopped the issuing). The first failure cancels the rest and is
    /// thrown; writes are idempotent, so whatever landed before counts at the next BeginUpdate. With <paramref name="begun"/>
    /// (BeginUpdate, not yet answered) one window of writes goes out before its answer is looked at; when it fails, or answers
    /// what the writes did not assume (<see cref="EarlyWritesFit"/>), no more are issued, <paramref name="issued"/> stays
    /// incomplete, and the writes still out are cancelled (a refusal) or left to end (the caller writes again).
    /// With <paramref name="holes"/> only those runs of the payload are written (in order, each in writes of
    /// <paramref name="chunk"/> bytes from its start), instead of everything from <paramref name="start"/>.
    /// </summary>
    private async Task TransferAsync(BootloaderClient client, ReadOnlyMemory<byte> payload, int start, int chunk, RpcCallOptions options,
        TaskCompletionSource issued, CancellationToken work, Task<BeginUpdateResponse>? begun = null, IReadOnlyList<(int From, int To)>? holes = null)
    {
        IReadOnlyList<(int From, int To)> runs = holes ?? [(start, payload.Length)];
        int window = Math.Max(1, Math.Min((int)_device.ReceiveBuffers, _options.MaxWritesInFlight ?? int.MaxValue));
        int issuedEarly = 0;
        bool abandoned = false;
        using var slots = new SemaphoreSlim(window, window);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(work);
        var inFlight = new List<Task>();
        Exception? failure = null;
        bool first = true;
        long held = start; // the device's contiguous prefix as its answers report it (under _progressLock, with the counters)

        int run = 0;
        int offset = runs.Count > 0 ? runs[0].From : payload.Length;
        while (run < runs.Count)
        {
            int end = runs[run].To;
            if (offset >= end)
            {
                if (++run < runs.Count)
                    offset = runs[run].From;
                continue;
            }
            if (begun is not null)
            {
                // Writes behind an unanswered BeginUpdate: one window of them, whatever it answers meanwhile (a refusal
                // opens no session, and the device keeps none of them), then its answer decides.
                if (issuedEarly >= window)
                {
                    try
                    {
                        await begun.ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // the caller reports BeginUpdate's failure
                    }
                }
                if (issuedEarly >= window)
                {
                    if (!begun.IsCompletedSuccessfully)
                    {
                        abandoned = true;
                        stop.Cancel(); // nothing was begun: the writes out are answered "no update in progress", unread
                        break;
                    }
                    if (!EarlyWritesFit(begun.Result, chunk))
                    {
                        abandoned = true;
                        break;
                    }
                    options = FlashCallOptions(begun.Result.EraseMillisecondsMax);
                    begun = null;
                }
                else
                {
                    issuedEarly++;
                }
            }
            // The device may already hold what comes next (it answered a larger prefix: it filled a hole below blocks it
            // kept, e.g. a sector it had to erase again after a torn program): skip to the end of what it holds.
            long ahead;
            lock (_progressLock)
                ahead = held;
            if (ahead > offset)
            {
                int skipped = (int)Math.Min(ahead, end) - offset;
                CountHeld(skipped);
                offset += skipped;
                if (offset >= end)
                    continue; // the rest of this run is held: on to the next
            }
            try
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!work.IsCancellationRequested)
            {
                break; // a write failed: stop issuing
            }
            int length = Math.Min(chunk, end - offset);
            byte[] data = payload.Slice(offset, length).ToArray();
            int at = offset;
            RpcCallOptions callOptions = options;
            // Called, not queued: the write takes its place in the RPC window before the loop goes on, and the RPC client
            // hands calls to the link in that order, so the writes, and the finish that follows the last of them, leave
            // in payload order. (The slots above pace the loop to the device's answers, for the skip-ahead and to keep
            // one window of payload copies: they are not what keeps the order.)
            inFlight.Add(WriteAsync());
            offset += length;

            async Task WriteAsync()
            {
                try
                {
                    WriteResponse answer = await client.WriteAsync(new WriteRequest((uint)at, data), callOptions, stop.Token).ConfigureAwait(false);
                    if (answer.Offset != (uint)at || answer.Length != length)
                        throw Mismatch($"The device acknowledged a write at {answer.Offset} of {answer.Length} bytes for one at {at} of {length}.");
                    double rate;
                    bool firstAck = false;
                    lock (_progressLock)
                    {
                        held = Math.Max(held, answer.BytesCommitted);
                        _bytesSent += length;
                        _legDone += length;
                        rate = _rate.Record(_legDone - _legResumed);
                        if (first)
                        {
                            first = false;
                            firstAck = true;
                            _stage = UpdateStage.Transferring; // the first acknowledged write: the erase is behind us
                        }
                    }
                    if (firstAck)
                        UpdateLog.StageEntered(_logger, Uid, UpdateStage.Transferring);
                    Report(rate);
                }
                catch (Exception ex)
                {
                    lock (_progressLock)
                        failure ??= ex;
                    stop.Cancel();
                }
                finally
                {
                    slots.Release();
                }
            }
        }
        lock (_progressLock)
        {
            if (failure is null && !abandoned)
                issued.TrySetResult();
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        work.ThrowIfCancellationRequested();
        if (abandoned)
            return; // the caller decides what these writes were worth
        if (failure is not null)
        {
            if (failure is RpcErrorException e && IsRefusal(e, out BootloaderError code))
                throw new UpdateRejectedException(_uid, code, e.Message, e);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>The device refused the image itself: retrying the same image cannot help.</summary>
    private static bool IsRefusal(RpcErrorException e, out BootloaderError code) =>
        BootloaderInterface.TryGetError(e, out code) && code is BootloaderError.BadManifest or BootloaderError.UnknownKey
            or BootloaderError.BadSignature or BootloaderError.WrongTarget or BootloaderError.NotBoundToThisDevice
            or BootloaderError.SecurityCounterTooLow or BootloaderError.WrongLocation or BootloaderError.EncryptionRequired
            or BootloaderError.KeyUnwrapFailed or BootloaderError.PayloadHashMismatch or BootloaderError.NotProvisioned;
}

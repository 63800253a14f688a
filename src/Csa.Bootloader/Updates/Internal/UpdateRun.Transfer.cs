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

    private async Task WriteImageAsync(UpdateTarget target, RegionInfo region, FirmwareImage image)
    {
        ImageManifest manifest = image.Manifest;
        _ = _device.Bootloader ?? throw Mismatch("The device left its bootloader before the image could be offered.");
        _legTotal = manifest.PayloadSize;
        _legDone = 0;
        _legResumed = 0;
        Enter(UpdateStage.Checking);
        if (_options.LocalPreCheck)
            LocalPreCheck.Check(_device, region.Region, image, _options);

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
            await OfferAndWriteAsync(target, region, image, wrappedKey, watch.Token).ConfigureAwait(false);
        }
        finally
        {
            _returned = watch.Returned;
            watch.Dispose();
        }
        _begun = false;
        _imagesWritten++;
    }

    private TimeSpan ProbeTimeout => _options.RestartProbeTimeout < _options.CommandTimeout ? _options.RestartProbeTimeout : _options.CommandTimeout;

    private async Task OfferAndWriteAsync(UpdateTarget target, RegionInfo region, FirmwareImage image, byte[] wrappedKey, CancellationToken work)
    {
        ImageManifest manifest = image.Manifest;
        using BootloaderClient client = _network.CreateBootloaderClient(_device);
        Enter(UpdateStage.Erasing);
        BeginUpdateResponse begin;
        try
        {
            begin = await client.BeginUpdateAsync(
                new BeginUpdateRequest(target, image.ManifestBytes.ToArray(), image.AuthenticationBlock.ToArray(), wrappedKey),
                FlashCallOptions(null), work).ConfigureAwait(false);
        }
        catch (RpcErrorException e) when (IsRefusal(e, out BootloaderError code))
        {
            throw new UpdateRejectedException(_uid, code, e.Message, e);
        }
        _begun = true;
        if (begin.ResumeOffset > manifest.PayloadSize)
            throw Mismatch($"The device answered resume offset {begin.ResumeOffset} for a {manifest.PayloadSize}-byte payload.");
        if (begin.WriteAlignment == 0 || begin.MaxWriteSize < begin.WriteAlignment)
            throw Mismatch($"The device answered write alignment {begin.WriteAlignment} and maximum write {begin.MaxWriteSize}: no write can be made.");
        UpdateLog.Offered(_logger, Uid, manifest.ToString(), target.ToString(), begin.ResumeOffset, manifest.PayloadSize);
        _legResumed = begin.ResumeOffset;
        _legDone = begin.ResumeOffset;
        _bytesResumed += begin.ResumeOffset;
        _rate.Reset();
        Report();

        bool written = begin.ResumeOffset >= manifest.PayloadSize;
        if (_shared is { } shared)
        {
            // A transfer to a group carries the payload when this device can take part; otherwise (it holds the image
            // already, it cannot join, the transfer is over, or this is a bootloader copy) it writes by itself.
            if (!written && target == UpdateTarget.Application)
            {
                try
                {
                    written = await shared.TransferAsync(new MulticastJoin(_device, begin.ResumeOffset, ChunkSize(begin), SharedWindow(),
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
        if (!written)
            await TransferAsync(client, image.Payload, (int)begin.ResumeOffset, ChunkSize(begin), FlashCallOptions(begin.EraseMillisecondsMax), work).ConfigureAwait(false);

        Enter(UpdateStage.Verifying);
        await FinishAndVerifyAsync(client, region.Region, manifest, begin.EraseMillisecondsMax, work).ConfigureAwait(false);
    }

    /// <summary>
    /// FinishUpdate, then (with <see cref="UpdateOptions.VerifyRegionHash"/>) the region's hash. Both go out together:
    /// the device runs its commands in order, so the hash is of the committed region, and the host waits one round trip
    /// instead of two. When the finish fails, the hash's answer (a refusal, the region not being valid) is ignored.
    /// </summary>
    private async Task FinishAndVerifyAsync(BootloaderClient client, RegionKind region, ImageManifest manifest, uint? eraseMillisecondsMax, CancellationToken work)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(work);
        Task<FinishUpdateResponse> finishing = client.FinishUpdateAsync(new FinishUpdateRequest(), FlashCallOptions(eraseMillisecondsMax), stop.Token);
        Task<GetRegionHashResponse>? hashing = _options.VerifyRegionHash
            ? client.GetRegionHashAsync(new GetRegionHashRequest(region, 0, manifest.PayloadSize),
                // it runs after the finish, whose commit may first erase the trailer's sector
                FlashCallOptions(eraseMillisecondsMax), stop.Token)
            : null;
        hashing?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        FinishUpdateResponse finish;
        try
        {
            finish = await finishing.ConfigureAwait(false);
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

    /// <summary>Writes in flight to this device in a transfer to a group: as for its own transfer, within the replay window.</summary>
    private int SharedWindow() =>
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
    private int ChunkSize(BeginUpdateResponse begin)
    {
        int alignment = begin.WriteAlignment;
        int limit = Math.Min((int)begin.MaxWriteSize, _device.MaxPacketSize - WritePacketOverhead);
        int wanted = _options.WriteChunkSize ?? Math.Max(alignment, DataLinkProtocol.PayloadPerFrame(_device.PathFrameSize) - WritePacketOverhead);
        int chunk = Math.Min(wanted, limit) / alignment * alignment;
        return Math.Max(alignment, chunk);
    }

    /// <summary>
    /// Sends the payload from <paramref name="start"/> in writes of <paramref name="chunk"/> bytes, keeping as many in
    /// flight as the device has receive buffers. The first failure cancels the rest and is thrown; writes are
    /// idempotent, so whatever landed before counts at the next BeginUpdate.
    /// </summary>
    private async Task TransferAsync(BootloaderClient client, ReadOnlyMemory<byte> payload, int start, int chunk, RpcCallOptions options, CancellationToken work)
    {
        int window = Math.Max(1, Math.Min((int)_device.ReceiveBuffers, _options.MaxWritesInFlight ?? int.MaxValue));
        using var slots = new SemaphoreSlim(window, window);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(work);
        var inFlight = new List<Task>();
        Exception? failure = null;
        bool first = true;
        object gate = new();
        long held = start; // the device's contiguous prefix as its answers report it

        for (int offset = start; offset < payload.Length; offset += chunk)
        {
            // The device may already hold what comes next (it answered a larger prefix: it filled a hole below blocks it
            // kept, e.g. a sector it had to erase again after a torn program): skip to the end of what it holds.
            long ahead;
            lock (gate)
                ahead = held;
            if (ahead > offset)
            {
                int skipped = (int)Math.Min(ahead, payload.Length) - offset;
                lock (gate)
                {
                    _legDone += skipped;
                    _legResumed += skipped;
                    _bytesResumed += skipped;
                }
                offset += skipped;
                if (offset >= payload.Length)
                    break;
            }
            try
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!work.IsCancellationRequested)
            {
                break; // a write failed: stop issuing
            }
            int length = Math.Min(chunk, payload.Length - offset);
            byte[] data = payload.Slice(offset, length).ToArray();
            int at = offset;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    WriteResponse answer = await client.WriteAsync(new WriteRequest((uint)at, data), options, stop.Token).ConfigureAwait(false);
                    if (answer.Offset != (uint)at || answer.Length != length)
                        throw Mismatch($"The device acknowledged a write at {answer.Offset} of {answer.Length} bytes for one at {at} of {length}.");
                    double rate;
                    bool firstAck = false;
                    lock (gate)
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
                    lock (gate)
                        failure ??= ex;
                    stop.Cancel();
                }
                finally
                {
                    slots.Release();
                }
            }));
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);
        work.ThrowIfCancellationRequested();
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

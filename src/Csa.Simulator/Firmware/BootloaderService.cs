using System.Security.Cryptography;
using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.DataLink;
using Csa.Rpc;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;

namespace Csa.Simulator.Firmware;

/// <summary>
/// The bootloader's update service: the generated Bootloader interface (bootloader.rpc.json) over the device's flash.
/// Commands are handled one at a time, as the MCU would. Every refusal is the generated <c>Error(BootloaderError, message)</c>;
/// a power cut surfaces as <see cref="PowerLossException"/> (the device is off; nothing is answered).
/// docs/device-model.md section 6 specifies the state machine.
/// </summary>
public sealed partial class BootloaderService : BootloaderServerBase
{
    /// <summary>The write alignment: a multiple of every program unit (F4 word, L4 double word) and of the AES block.</summary>
    public const int WriteAlignment = 16;

    /// <summary>
    /// The bytes of its largest packet the device keeps from its largest write (docs/device-model.md section 6.3):
    /// <see cref="MaxWriteSize"/> is the packet size less this. It covers the Write packet's RPC header and fixed fields
    /// (<see cref="RpcPacketHeader.Size"/> + <see cref="WriteRequest.MinEncodedSize"/>, 14 bytes) with 50 to spare, and
    /// is the C device's figure too (firmware/service product.c), so both report one write size for one packet size.
    /// </summary>
    public const int WritePacketReserve = 64;

    // Fails to compile (a negative constant converted to uint) if the Write request's fixed part outgrows the reserve.
    private const uint ReserveHoldsWriteHeader = WritePacketReserve - (RpcPacketHeader.Size + WriteRequest.MinEncodedSize);

    /// <summary>The most a power cut may cost of what the device had acknowledged: the largest checkpoint interval.</summary>
    public const int MaxCheckpointBytes = 16 * 1024;

    private readonly DeviceFirmware _firmware;
    private UpdateSession? _session;

    internal BootloaderService(DeviceFirmware firmware)
    {
        _firmware = firmware;
        MaxWriteSize = (ushort)Math.Max(WriteAlignment, Math.Min(4096, firmware.Profile.MaxPacketSize - WritePacketReserve) / WriteAlignment * WriteAlignment);
        int window = firmware.Profile.ReceiveBuffers * firmware.Profile.MaxFrameSize;
        CheckpointInterval = Math.Max(WriteAlignment, Math.Min(MaxCheckpointBytes, window) / WriteAlignment * WriteAlignment);
    }

    /// <summary>
    /// How far the contiguous prefix moves before the watermark is persisted again: 16 KiB, or one receive window
    /// (receive buffers x maximum frame size) when that is smaller, a multiple of <see cref="WriteAlignment"/>. A power
    /// cut costs less than this (plus the write being programmed) of what the device had acknowledged, unless it tears
    /// a program inside the sector holding the watermark (docs/device-model.md section 6.4).
    /// </summary>
    public int CheckpointInterval { get; }

    /// <summary>The largest data field a Write accepts: the profile's packet size less <see cref="WritePacketReserve"/>, a multiple of the alignment, from 16 to 4096.</summary>
    public ushort MaxWriteSize { get; }

    /// <summary>Writes acknowledged without programming because the flash already held exactly those bytes.</summary>
    public long DuplicateBlocks { get; private set; }

    /// <summary>Payload blocks programmed since the device was created.</summary>
    public long ProgrammedBlocks { get; private set; }

    private SimulatedFlash Flash => _firmware.Flash;

    internal void ResetSession()
    {
        _session?.ClearKey();
        _session = null;
    }

    /// <summary>The update as GetStatus reports it: the RAM session when there is one, else the journal.</summary>
    internal (UpdatePhase Phase, RegionKind? Region, uint PayloadSize, uint Committed, byte[] Digest) UpdateView()
    {
        if (_session is { } s)
            return (s.Complete ? UpdatePhase.Complete : UpdatePhase.Receiving, s.Kind, s.PayloadSize, s.Committed, s.Digest);
        Internal.UpdateRecord r = _firmware.Record;
        if (r.Region is not { } region || r.Phase == UpdatePhase.Idle)
            return (UpdatePhase.Idle, null, 0, 0, new byte[32]);
        if (r.Phase == UpdatePhase.Complete || !_firmware.UpdatePending())
            return (UpdatePhase.Complete, region, r.PayloadSize, r.PayloadSize, r.ManifestDigest);
        return (UpdatePhase.Receiving, region, r.PayloadSize, r.BytesCommitted, r.ManifestDigest);
    }

    /// <inheritdoc />
    protected override async Task<GetStatusResponse> GetStatusAsync(GetStatusRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FirmwareInventory inventory = _firmware.BuildInventory();
            RegionStatus[] regions = inventory.Regions.Select(r => new RegionStatus(r.Region, r.State, r.Start, r.Size,
                r.Version?.Major ?? 0, r.Version?.Minor ?? 0, r.Version?.Patch ?? 0, r.Version?.Build ?? 0, r.SecurityCounter)).ToArray();
            (UpdatePhase phase, RegionKind? region, uint size, uint committed, byte[] digest) = UpdateView();
            return new GetStatusResponse(_firmware.Running!.Value, inventory.StayReason, regions, inventory.DeviceSecurityCounter,
                phase, TargetOf(region), digest, size, committed, WriteAlignment, MaxWriteSize);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <summary>The smallest range GetRegionHash answers apart from a valid image's whole payload (bytes).</summary>
    public const int HashGranule = 1024;

    /// <summary>
    /// REQ-CONFIDENTIAL: flash holds the decrypted plaintext, and the hash of a 1-byte range is a 256-entry lookup, so an
    /// unrestricted hash would read the firmware out byte by byte. Whole 1 KiB granules leave 2^8192 candidates per
    /// granule; the whole payload of the valid image is the hash its signed manifest already names (the host's check
    /// after an update and its "already installed" test ask exactly that).
    /// </summary>
    private bool IsHashableRange(RegionKind kind, uint offset, uint length)
    {
        if (offset % HashGranule == 0 && length % HashGranule == 0)
            return true;
        return offset == 0 && kind != RegionKind.PreBootloader && _firmware.Check(kind) is { IsValid: true, Manifest: { } manifest } && manifest.PayloadSize == length;
    }

    /// <inheritdoc />
    protected override async Task<GetRegionHashResponse> GetRegionHashAsync(GetRegionHashRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!Enum.IsDefined(request.Region))
                throw Error(BootloaderError.NotAllowed, $"Region {(byte)request.Region} does not exist.");
            MemoryRegion region = _firmware.RegionOf(request.Region);
            if ((ulong)request.Offset + request.Length > (ulong)region.Size)
                throw Error(BootloaderError.OutOfRange, $"Bytes {request.Offset}..{(ulong)request.Offset + request.Length} run past the {region.Size}-byte {request.Region} region.");
            if (!IsHashableRange(request.Region, request.Offset, request.Length))
                throw Error(BootloaderError.RangeNotAllowed, $"Bytes {request.Offset}..{(ulong)request.Offset + request.Length} of {request.Region} are neither whole {HashGranule}-byte granules nor the payload of its valid image.");
            byte[] hash = _firmware.Inspector.HashFlash(region.Address + request.Offset, request.Length)
                ?? throw Error(BootloaderError.FlashFault, $"The range of {request.Region} holds a double word with an ECC error (an interrupted write).");
            await _firmware.ComputeAsync(_firmware.Profile.CpuTiming?.Hash(request.Length) ?? TimeSpan.Zero).ConfigureAwait(false);
            return new GetRegionHashResponse(hash);
        }
        finally
        {
            _firmware.Gate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task<AbortUpdateResponse> AbortUpdateAsync(AbortUpdateRequest request, Endpoint source, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RegionKind? aborted = _session?.Kind ?? _firmware.Record.Region;
            UpdateTarget target = TargetOf(aborted);
            ResetSession();
            if (_firmware.Record.Phase == UpdatePhase.Idle)
                return new AbortUpdateResponse();
            await _firmware.AppendRecordAsync(_firmware.Record with
            {
                Phase = UpdatePhase.Idle, Region = null, BytesCommitted = 0, PayloadSize = 0, ManifestDigest = new byte[32],
            }, _firmware.RunStopping).ConfigureAwait(false);
            if (aborted is { } region)
                _firmware.RefreshCheck(region);
            _firmware.NoteUpdateCommand();
            FirmwareLog.Aborted(_firmware.Logger);
            await PublishAsync(UpdatePhase.Idle, target, 0, cancellationToken).ConfigureAwait(false);
            return new AbortUpdateResponse();
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

    /// <summary>
    /// True while commands the device has received wait to run (the RPC server holds them in its receive buffers, behind
    /// an earlier command of their host: it runs each host's commands in arrival order). The background eraser starts
    /// no erase then, as it starts none while a command waits for the gate. Set by the shell that runs the firmware.
    /// </summary>
    internal Func<bool>? CommandsReceived { get; set; }

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        // Counted while waiting, so the background eraser starts no erase while a command is queued (erase-ahead).
        Interlocked.Increment(ref _commandsWaiting);
        try
        {
            await _firmware.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _commandsWaiting);
        }
        NoteCommandStart();
        if (!_firmware.InBootloader)
        {
            _firmware.Gate.Release();
            throw Error(BootloaderError.NotAllowed, _firmware.Running is null
                ? "No bootloader runs (the device has not booted or holds no valid bootloader copy)."
                : "The application runs; enter the bootloader first.");
        }
    }

    private UpdateTarget TargetOf(RegionKind? region) =>
        region is RegionKind.BootloaderA or RegionKind.BootloaderB ? UpdateTarget.OtherBootloader : UpdateTarget.Application;

    private async Task PublishAsync(UpdatePhase phase, UpdateTarget target, uint committed, CancellationToken cancellationToken)
    {
        if (EventSink is not null)
            await PublishUpdatePhaseChangedAsync(new UpdatePhaseChangedEvent(phase, target, committed), cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Sha256(byte[] data) => SHA256.HashData(data);
}

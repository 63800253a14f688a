using Csa.Bootloader.Images;
using Csa.Bootloader.Protocol;
using Csa.Crypto;
using Csa.Simulator.Firmware.Internal;
using Csa.Simulator.Flash;
using Csa.Simulator.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Simulator.Firmware;

/// <summary>
/// All the logic that runs on the simulated MCU, over its flash: the pre-bootloader's choice of bootloader copy, the
/// bootloader's start-up check of the application and its decision to stay resident, the bootloader's update service
/// and the application's enter-bootloader request. It has no I/O of its own: the device shell powers it, calls
/// <see cref="Boot"/> after every power-on and serves <see cref="Bootloader"/> over its link. RAM state (the update
/// session) lives in this object and is dropped by <see cref="Boot"/>, as a reset drops a chip's RAM; everything that
/// must survive a reset is in flash (docs/device-model.md, sections 5 and 6).
/// </summary>
public sealed partial class DeviceFirmware
{
    /// <summary>The journal slot size the firmware uses (a 52-byte state record fits).</summary>
    internal const int JournalSlotSize = 80;

    private readonly RegionCheck?[] _checks = new RegionCheck?[4];
    private BootDecision? _lastBoot;
    private CancellationTokenSource _run = new();

    /// <summary>Creates the firmware of a device with <paramref name="profile"/> over <paramref name="flash"/>.</summary>
    /// <exception cref="ArgumentException">The flash's geometry is not the profile's.</exception>
    public DeviceFirmware(DeviceProfile profile, SimulatedFlash flash, TimeProvider timeProvider)
        : this(profile, flash, timeProvider, new SecureKeyStorage())
    {
    }

    /// <summary>
    /// Creates the firmware of a device with <paramref name="profile"/> over <paramref name="flash"/>, with the chip's
    /// key storage <paramref name="keyStorage"/> (the identity key lives there, not in flash).
    /// </summary>
    /// <exception cref="ArgumentException">The flash's geometry is not the profile's.</exception>
    public DeviceFirmware(DeviceProfile profile, SimulatedFlash flash, TimeProvider timeProvider, SecureKeyStorage keyStorage)
    {
        ArgumentNullException.ThrowIfNull(keyStorage);
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(flash);
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (!ReferenceEquals(profile.MemoryMap.Geometry, flash.Geometry) && profile.MemoryMap.Geometry.Name != flash.Geometry.Name)
            throw new ArgumentException($"The profile's memory map is for {profile.MemoryMap.Geometry.Name} but the flash is {flash.Geometry.Name}.", nameof(flash));
        Profile = profile;
        Flash = flash;
        Time = timeProvider;
        Map = profile.MemoryMap;
        Journal = new StateJournal(flash, Map, JournalSlotSize);
        Otp = new OtpThermometerCounter(flash, Map.SecurityCounterOtp);
        Verifiers = CreateVerifiers(profile);
        Inspector = new RegionInspector(flash, profile, Verifiers);
        Bootloader = new BootloaderService(this);
        KeyStorage = keyStorage;
        Provisioning = new ProvisioningService(this);
    }

    /// <summary>The device configuration.</summary>
    public DeviceProfile Profile { get; }

    /// <summary>Where the firmware logs its decisions (boot, update begun, resumed, committed, refused); silent by default.</summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>The flash the firmware runs over.</summary>
    public SimulatedFlash Flash { get; }

    /// <summary>
    /// The bootloader's update service (the generated Bootloader interface). Host it once; it answers
    /// <see cref="BootloaderError.NotAllowed"/> while no bootloader is resident (not booted, bricked, or the
    /// application runs). A handler whose flash loses power throws <see cref="PowerLossException"/>: the device is
    /// off and sends no answer.
    /// </summary>
    public BootloaderService Bootloader { get; }

    /// <summary>The decision of the last <see cref="Boot"/>; null before the first.</summary>
    public BootDecision? LastBoot => _lastBoot;

    /// <summary>
    /// When the bootloader stays because of a request with a wait time: the moment the wait ends without an update
    /// command (the shell then calls <see cref="TryEndRequestedStayAsync"/> and resets, so the application runs again).
    /// Null otherwise. It counts from the boot and again from every accepted update command (BeginUpdate, Write,
    /// FinishUpdate, AbortUpdate); reads (GetStatus, GetRegionHash, the Device interface) never move it, so a host that
    /// looked and went away (refused, crashed) leaves the device in its bootloader for the wait and no longer.
    /// </summary>
    public DateTimeOffset? RequestedStayDeadline { get; private set; }

    /// <summary>An update command was accepted: the wait for a host starts again from now.</summary>
    internal void NoteUpdateCommand()
    {
        if (RequestedStayDeadline is not null && Record.RequestedWaitSeconds > 0)
            RequestedStayDeadline = Time.GetUtcNow().AddSeconds(Record.RequestedWaitSeconds);
    }

    /// <summary>
    /// Ends a requested stay whose wait has passed: forgets the request (so the next <see cref="Boot"/> starts a valid
    /// application) and answers true; the shell then resets. False when there is no such stay or an update command
    /// moved the deadline meanwhile (checked under the command gate, so no command runs in between).
    /// </summary>
    internal async Task<bool> TryEndRequestedStayAsync(CancellationToken ct)
    {
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (RequestedStayDeadline is not { } deadline || deadline > Time.GetUtcNow())
                return false;
            RequestedStayDeadline = null;
            Record = ReadRecord();
            if (Record.BootloaderRequested)
                await AppendRecordAsync(Record with { BootloaderRequested = false, RequestedWaitSeconds = 0 }, ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>What the device holds and runs, as of the last boot and the update since.</summary>
    public FirmwareInventory Inventory
    {
        get
        {
            Gate.Wait();
            try
            {
                return BuildInventory();
            }
            finally
            {
                Gate.Release();
            }
        }
    }

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// Cancelled when this run of the firmware ends (the shell resets the device or powers it down, <see cref="Halt"/>).
    /// A command's flash and journal operations wait on this, not on the command's own token: the host that sent the
    /// command going away (its process killed, its connection dropped) cancels the command's answer, but firmware does not
    /// abandon an operation it started, so a program that completes is recorded as done (a Write counts as written).
    /// </summary>
    internal CancellationToken RunStopping => Volatile.Read(ref _run).Token;

    /// <summary>The shell is about to reset or power down the device: operations in progress stop waiting (the RAM state they update is lost anyway).</summary>
    internal void Halt() => Volatile.Read(ref _run).Cancel();

    internal TimeProvider Time { get; }

    /// <summary>
    /// The CPU time the last <see cref="Boot"/> took on the chip (<see cref="DeviceProfile.CpuTiming"/>; zero without one):
    /// a signature and a payload SHA-256 for every image the start-up checks got to (both bootloader copies, checked by
    /// the pre-bootloader, and the application, checked by the bootloader).
    /// </summary>
    internal TimeSpan BootCpuTime()
    {
        if (Profile.CpuTiming is not { } cpu)
            return TimeSpan.Zero;
        TimeSpan total = TimeSpan.Zero;
        foreach (RegionKind kind in new[] { RegionKind.BootloaderA, RegionKind.BootloaderB, RegionKind.Application })
        {
            if (_checks[(int)kind] is { Manifest: { } manifest })
                total += cpu.SignatureVerification + cpu.Hash(manifest.PayloadSize);
        }
        return total;
    }

    /// <summary>Charges <paramref name="time"/> of CPU work on the device's clock (the caller holds the command gate: nothing else runs).</summary>
    internal Task ComputeAsync(TimeSpan time) => time > TimeSpan.Zero ? Task.Delay(time, Time, RunStopping) : Task.CompletedTask;

    internal MemoryMap Map { get; }

    internal StateJournal Journal { get; }

    internal OtpThermometerCounter Otp { get; }

    internal IImageVerifier[] Verifiers { get; }

    internal RegionInspector Inspector { get; }

    internal UpdateRecord Record { get; private set; } = UpdateRecord.Fresh;

    internal (byte Major, byte Minor, ushort Patch)? PreBootloaderVersion { get; private set; }

    internal RegionKind? Running { get; private set; }

    internal bool ApplicationRunning { get; private set; }

    internal StayReason Stay { get; private set; }

    internal bool InBootloader => Running is not null && !ApplicationRunning;

    /// <summary>
    /// Power-on: the pre-bootloader checks both bootloader copies (manifest authentication, kind, location, payload
    /// SHA-256) and starts the valid one with the highest version (A on a tie); that bootloader checks the
    /// application (REQ-BOOT-VERIFY) and stays resident when the application is not valid, an update was interrupted,
    /// or a request to enter the bootloader is persisted; otherwise it starts the application. Reads flash only, so it
    /// can run after any power cut; drops the RAM state of an update session.
    /// </summary>
    /// <exception cref="PowerLossException">The flash has no power.</exception>
    public BootDecision Boot()
    {
        Gate.Wait();
        try
        {
            Flash.Runner = this; // this firmware runs now: background work of another one on this flash stops
            if (_run.IsCancellationRequested)
            {
                _run.Dispose();
                Volatile.Write(ref _run, new CancellationTokenSource());
            }
            Bootloader.ResetSession();
            RequestedStayDeadline = null;
            Running = null;
            ApplicationRunning = false;
            Stay = StayReason.None;
            Record = ReadRecord();
            ReadProvisioning();
            CompleteProvisioningLock();
            PreBootloaderVersion = PreBootloaderMarker.Read(Flash, Map.PreBootloader);
            foreach (RegionKind kind in new[] { RegionKind.BootloaderA, RegionKind.BootloaderB, RegionKind.Application })
                RefreshCheck(kind);
            RegionCheck app = Check(RegionKind.Application);
            FirmwareVersion? appVersion = app.IsValid ? app.Manifest!.Version : null;
            Running = PreBootloaderVersion is null ? null : ChooseBootloader();
            if (Running is null)
                return Decided(new BootDecision(null, false, StayReason.None, appVersion));
            // A blank device of a product that requires provisioning starts nothing but its bootloader (REQ-PROD-KEYS).
            Stay = ProvisioningDamaged ? StayReason.ProvisioningDamaged
                : IdentityMismatch ? StayReason.IdentityMismatch
                : BlockedAsBlank ? StayReason.NotProvisioned
                : UpdatePending() ? StayReason.UpdateInProgress
                : !app.IsValid ? StayReason.NoValidApplication
                : Record.BootloaderRequested ? StayReason.Requested
                : StayReason.None;
            ApplicationRunning = Stay == StayReason.None;
            if (Stay == StayReason.Requested && Record.RequestedWaitSeconds > 0)
                RequestedStayDeadline = Time.GetUtcNow().AddSeconds(Record.RequestedWaitSeconds);
            return Decided(new BootDecision(Running, ApplicationRunning, Stay, appVersion));
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// What the application's EnterBootloader does: persists the request in the state journal (like an RTC backup
    /// register, but it also survives a power cut), so the next <see cref="Boot"/> stays in the bootloader.
    /// <paramref name="waitSeconds"/> is how long the bootloader then waits for a host (0: until an update or
    /// <see cref="ClearBootloaderRequestAsync"/>). The shell resets the device afterwards.
    /// </summary>
    /// <exception cref="FlashException">The journal could not be written (power cut: the request may or may not be persisted).</exception>
    public async Task RequestBootloaderAsync(ushort waitSeconds, CancellationToken ct)
    {
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // The application does not share the bootloader's RAM: it reads the state from the journal.
            Record = ReadRecord();
            await AppendRecordAsync(Record with { BootloaderRequested = true, RequestedWaitSeconds = waitSeconds }, ct).ConfigureAwait(false);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Forgets a persisted enter-bootloader request (the bootloader's wait ended without a host, or the host is
    /// done), so the next <see cref="Boot"/> starts a valid application. Writes nothing when no request is persisted.
    /// </summary>
    public async Task ClearBootloaderRequestAsync(CancellationToken ct)
    {
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            RequestedStayDeadline = null;
            Record = ReadRecord();
            if (Record.BootloaderRequested)
                await AppendRecordAsync(Record with { BootloaderRequested = false, RequestedWaitSeconds = 0 }, ct).ConfigureAwait(false);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// What the start-up check says of <paramref name="kind"/>: its trailer and payload, and the journal. A region the
    /// newest record marks as being rewritten (<see cref="UpdateRecord.Revoked"/>) is Invalid whatever its trailer
    /// claims, unless it holds exactly the image that record installs (a commit whose Complete record was cut).
    /// </summary>
    internal RegionCheck Check(RegionKind kind) => WithJournal(RawCheck(kind));

    /// <summary>Checks the region's flash again (after a program or an erase changed it) and answers as <see cref="Check"/>.</summary>
    internal RegionCheck RefreshCheck(RegionKind kind) => WithJournal(_checks[(int)kind] = Inspector.Check(kind, RegionOf(kind)));

    /// <summary>What the region's flash alone says (trailer, manifest, payload hash), without the journal's revocation.</summary>
    internal RegionCheck RawCheck(RegionKind kind) => _checks[(int)kind] ?? throw new InvalidOperationException("The device has not booted.");

    private RegionCheck WithJournal(RegionCheck check)
    {
        UpdateRecord record = Record;
        if (check.State == RegionState.Empty || !record.Revokes(check.Region)
            || (record.Region == check.Region && check.Holds(record.ManifestDigest)))
            return check;
        return check with { State = RegionState.Invalid, Reason = "being rewritten: the journal marks the region revoked since BeginUpdate (it is valid again only once its new image is committed)" };
    }

    internal MemoryRegion RegionOf(RegionKind kind) => Map.RegionOf(kind);

    internal async Task AppendRecordAsync(UpdateRecord record, CancellationToken ct)
    {
        record = Settled(record);
        await Journal.AppendAsync(record.Encode(), ct).ConfigureAwait(false);
        Record = record;
    }

    /// <summary>
    /// A record that moves on from its target (another target, or none) while that region holds the image the current
    /// record installs (its commit landed, the Complete record did not: a cut, then a resume that found it done) no
    /// longer marks it as being rewritten; otherwise the region would lose the exception that keeps it valid.
    /// </summary>
    private UpdateRecord Settled(UpdateRecord next)
    {
        UpdateRecord now = Record;
        if (now.Region is { } region && next.Region != region && next.Revokes(region)
            && _checks[(int)region] is { } raw && raw.Holds(now.ManifestDigest))
            return next.Restoring(region);
        return next;
    }

    /// <summary>The lowest security counter the device accepts: journal, OTP floor and every valid installed image.</summary>
    internal uint EffectiveSecurityCounter()
    {
        if (!Profile.DowngradePrevention)
            return 0;
        uint counter = Math.Max((uint)Otp.Read(), Record.SecurityCounter);
        foreach (RegionCheck? raw in _checks)
            if (raw is not null && WithJournal(raw) is { IsValid: true, Manifest: { } m })
                counter = Math.Max(counter, m.SecurityCounter);
        return counter;
    }

    /// <summary>An update recorded in the journal that is neither finished nor overtaken (its target now valid with its image, or running).</summary>
    internal bool UpdatePending() =>
        Record.Phase == UpdatePhase.Receiving && Record.Region is { } r && r != Running && !Check(r).Holds(Record.ManifestDigest);

    internal FirmwareInventory BuildInventory()
    {
        (UpdatePhase phase, RegionKind? updating, uint size, uint committed, _) = Bootloader.UpdateView();
        var regions = new FirmwareRegion[4];
        MemoryRegion pre = Map.PreBootloader;
        regions[0] = new FirmwareRegion(RegionKind.PreBootloader, PreBootloaderVersion is null ? RegionState.Empty : RegionState.Valid,
            pre.Address, (uint)pre.Size, PreBootloaderVersion is { } p ? new FirmwareVersion(p.Major, p.Minor, p.Patch, 0) : null, 0, null);
        foreach (RegionKind kind in new[] { RegionKind.BootloaderA, RegionKind.BootloaderB, RegionKind.Application })
        {
            MemoryRegion region = RegionOf(kind);
            RegionCheck? check = _checks[(int)kind] is { } raw ? WithJournal(raw) : null;
            RegionState state = check?.State ?? RegionState.Empty;
            if (phase == UpdatePhase.Receiving && updating == kind)
                state = RegionState.Updating;
            bool valid = check is { IsValid: true };
            regions[(int)kind] = new FirmwareRegion(kind, state, region.Address, (uint)region.Size,
                valid ? check!.Manifest!.Version : null, valid ? check!.Manifest!.SecurityCounter : 0, valid ? check!.ManifestDigest : null);
        }
        int floor = Otp.Read();
        return new FirmwareInventory(Running, ApplicationRunning, Stay, regions, EffectiveSecurityCounter(), floor,
            phase, updating, size, committed, Record.BootloaderRequested);
    }

    private BootDecision Decided(BootDecision decision)
    {
        FirmwareLog.Booted(Logger, decision);
        return _lastBoot = decision;
    }

    private UpdateRecord ReadRecord() =>
        Journal.ReadLatest() is { } latest ? UpdateRecord.Decode(latest.Payload.Span) : UpdateRecord.Fresh;

    private RegionKind? ChooseBootloader()
    {
        RegionCheck a = Check(RegionKind.BootloaderA);
        RegionCheck b = Check(RegionKind.BootloaderB);
        if (a.IsValid && b.IsValid)
            return b.Manifest!.Version > a.Manifest!.Version ? RegionKind.BootloaderB : RegionKind.BootloaderA;
        return a.IsValid ? RegionKind.BootloaderA : b.IsValid ? RegionKind.BootloaderB : null;
    }

    private static IImageVerifier[] CreateVerifiers(DeviceProfile profile) => profile.Authentication switch
    {
        ImageAuthentication.Crc32 => [Crc32ImageAuthenticator.Instance],
        ImageAuthentication.EcdsaP256Sha256 when profile.TrustedSigningKeys.Count > 0 => [new EcdsaP256Verifier(profile.TrustedSigningKeys)],
        _ => [],
    };
}

using Csa.Bootloader.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Bootloader.Updates;

/// <summary>
/// Settings of a <see cref="FirmwareUpdater"/>. Read at every call; change them between calls only. The defaults
/// suit a real device on a serial link; tests on instant virtual flash lower the timeouts.
/// </summary>
public sealed class UpdateOptions
{
    /// <summary>How long one attempt of an ordinary command (status, identity, versions, reset) waits for its answer. Default 2 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times an idempotent command (including each Write) is sent before the call counts as failed. Default 3.</summary>
    public int CommandAttempts { get; set; } = 3;

    /// <summary>
    /// The time one Write, BeginUpdate or FinishUpdate may spend erasing, added to <see cref="CommandTimeout"/> for those
    /// commands. Null (default) takes the device's own worst case (BeginUpdate's <c>eraseMillisecondsMax</c>; 4 s, the
    /// STM32F4 128 KB sector worst case, before the device has said). Set it lower only for flash known to be faster.
    /// </summary>
    public TimeSpan? EraseTimeout { get; set; }

    /// <summary>How long the host waits for a device to answer again after it restarted (into the bootloader or a new image). Default 30 s.</summary>
    public TimeSpan RestartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long each question to a restarting device waits for its answer (capped by <see cref="CommandTimeout"/>): a
    /// question that reached the device on its way down is lost, and the next one should go soon. Default 500 ms.
    /// </summary>
    public TimeSpan RestartProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the host asks a restarting device whether it is back. Default 100 ms.</summary>
    public TimeSpan RestartPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long the host keeps asking a restarting device at its old address before it enumerates the link again (a
    /// software reset keeps the address; a power cut loses it). Default 2 s.
    /// </summary>
    public TimeSpan AddressRetentionGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many times one call resumes after a fault (power cut, lost link, timeout): it finds the device again by its
    /// unique id, re-offers the same image and continues from what the device holds. 0 fails at the first fault (the
    /// update can still be resumed by calling again). Default 5.
    /// </summary>
    public int MaxResumeAttempts { get; set; } = 5;

    /// <summary>
    /// The pause before each resume attempt, so a device that lost power can start. Default 500 ms. None after the
    /// device announced its return (it is there; docs/updates.md section 5).
    /// </summary>
    public TimeSpan ResumeDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// At most this many writes in flight to one device; null (default) uses the device's advertised receive buffers
    /// (the RPC client never exceeds those either). 1 makes the transfer stop-and-wait.
    /// </summary>
    public int? MaxWritesInFlight { get; set; }

    /// <summary>
    /// The payload bytes per Write; null (default) takes the largest multiple of the device's write alignment that fits
    /// one data link frame on the path to the device and its maximum write size. Larger values are cut to the device's
    /// maximum write size and aligned.
    /// </summary>
    public int? WriteChunkSize { get; set; }

    /// <summary>
    /// Seconds the bootloader waits for this host after EnterBootloader before it starts the application again (0 waits
    /// until the next reset). A BeginUpdate cancels the wait, so an update in progress is never left. Default 120.
    /// </summary>
    public ushort EnterBootloaderWaitSeconds { get; set; } = 120;

    /// <summary>
    /// Check the image against the device on the host before anything is sent: vendor and class, kind, binding to the
    /// device's unique id, security counter against the device's, load address and size against the target region, the
    /// device's authentication scheme (and the signature, with <see cref="TrustedVerifiers"/>), the CRC, the payload hash
    /// of a plaintext image, and this device's wrapped key in an encrypted image. Default true. The device checks all of
    /// it again either way.
    /// </summary>
    public bool LocalPreCheck { get; set; } = true;

    /// <summary>
    /// Verifiers the local pre-check authenticates signed images with (e.g. Csa.Crypto's ECDSA verifier with the
    /// product's public keys). Empty (default): signatures are left to the device; CRC-32 images are always checked.
    /// </summary>
    public IList<IImageVerifier> TrustedVerifiers { get; } = new List<IImageVerifier>();

    /// <summary>
    /// When set, every update and install first authenticates the device (REQ-AUTH-DEV): a fresh challenge signed by
    /// the device's identity key, checked against its certificate and the production trust anchor. A blank device, a
    /// forged certificate or a clone fails with <see cref="Provisioning.DeviceAuthenticationException"/> before a single
    /// byte of firmware is sent, and again at every resume (the device found again must still be the genuine one).
    /// Null (default): no authentication (products without provisioning).
    /// </summary>
    public Provisioning.DeviceAuthenticator? DeviceAuthenticator { get; set; }

    /// <summary>After FinishUpdate, compare the region's SHA-256 (GetRegionHash) with the manifest's payload hash. Default true.</summary>
    public bool VerifyRegionHash { get; set; } = true;

    /// <summary>
    /// On cancellation of an update that has begun writing: true sends AbortUpdate, so the target region is left empty
    /// and invalid and the bootloader stays resident; false (default) leaves the update resumable (the bootloader stays
    /// resident, the next call continues from what the device holds).
    /// </summary>
    public bool AbortOnCancel { get; set; }

    /// <summary>
    /// <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{Images.FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, Images.FirmwareImage?, Task}?)"/>
    /// writes one payload once to every device that shares it (multicast, docs/updates.md section 10a). Default true;
    /// false updates each device by itself, as <see cref="FirmwareUpdater.InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{Images.FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/> does.
    /// </summary>
    public bool Multicast { get; set; } = true;

    /// <summary>
    /// How long a transfer to a group waits, after its first member is ready to receive, for the others before it starts
    /// without them (they join while it runs, and get what they missed in the repair). Default 10 s.
    /// </summary>
    public TimeSpan MulticastFormationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many rounds of repair (ask every member for its missing blocks, send them again) a transfer to a group makes
    /// before a member that still misses blocks is left to finish by itself. Default 8.
    /// </summary>
    public int MulticastRepairRounds { get; set; } = 8;

    /// <summary>The sliding window over which <see cref="UpdateProgress.BytesPerSecond"/> is measured. Default 2 s.</summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock for timeouts, pauses, rates and durations.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the updater logs; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        Positive(CommandTimeout, nameof(CommandTimeout));
        Positive(RestartTimeout, nameof(RestartTimeout));
        Positive(RestartPollInterval, nameof(RestartPollInterval));
        Positive(RestartProbeTimeout, nameof(RestartProbeTimeout));
        Positive(RateWindow, nameof(RateWindow));
        if (MulticastFormationTimeout < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MulticastFormationTimeout), MulticastFormationTimeout, "The formation wait cannot be negative.");
        if (MulticastRepairRounds < 1)
            throw new ArgumentOutOfRangeException(nameof(MulticastRepairRounds), MulticastRepairRounds, "A transfer to a group makes at least one round of repair.");
        if (EraseTimeout is { } erase && erase < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(EraseTimeout), erase, "The erase allowance cannot be negative.");
        if (AddressRetentionGrace < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AddressRetentionGrace), AddressRetentionGrace, "The grace period cannot be negative.");
        if (ResumeDelay < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ResumeDelay), ResumeDelay, "The resume delay cannot be negative.");
        if (CommandAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(CommandAttempts), CommandAttempts, "A command is sent at least once.");
        if (MaxResumeAttempts < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxResumeAttempts), MaxResumeAttempts, "The resume attempts cannot be negative.");
        if (MaxWritesInFlight is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxWritesInFlight), MaxWritesInFlight, "At least one write must be allowed in flight.");
        if (WriteChunkSize is < 16)
            throw new ArgumentOutOfRangeException(nameof(WriteChunkSize), WriteChunkSize, "A write carries at least 16 bytes (the write alignment).");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }
}

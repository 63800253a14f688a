using Csa.Bootloader.Images;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Csa.Bootloader.Updates;

/// <summary>
/// Settings of a <see cref="FirmwareUpdater"/> and a <see cref="DeviceMaintenance"/>. Immutable: derive variants with
/// <c>with</c>. Checked once, by the updater's constructor.
/// </summary>
/// <remarks>
/// The defaults suit a real device on a serial link; tests on instant virtual flash lower the timeouts. Every default is
/// in docs/updates.md section 14.
/// </remarks>
public sealed record UpdateOptions
{
    /// <summary>The defaults.</summary>
    public static UpdateOptions Default { get; } = new();

    /// <summary>Ordinary commands (status, identity, versions, reset) and each Write: 2 s per attempt, 3 attempts by default.</summary>
    /// <remarks>Write, BeginUpdate and FinishUpdate get <see cref="EraseTimeout"/> on top of the timeout.</remarks>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>The time one Write, BeginUpdate or FinishUpdate may spend erasing. Default null: the device's own worst case.</summary>
    /// <remarks>
    /// Added to <see cref="Retry"/>'s timeout for those commands. Null takes the device's own worst case (BeginUpdate's
    /// <c>eraseMillisecondsMax</c>; 4 s, the STM32F4 128 KB sector worst case, before the device has said). Set it lower
    /// only for flash known to be faster.
    /// </remarks>
    public TimeSpan? EraseTimeout { get; init; }

    /// <summary>How long the host waits for a device to answer again after it restarted (into the bootloader or a new image). Default 30 s.</summary>
    public TimeSpan RestartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each question to a restarting device waits for its answer (at most <see cref="Retry"/>'s timeout). Default 500 ms.</summary>
    /// <remarks>A question that reached the device on its way down is lost, and the next one should go soon.</remarks>
    public TimeSpan RestartProbeTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the host asks a restarting device whether it is back. Default 100 ms.</summary>
    public TimeSpan RestartPollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long the host keeps asking a restarting device at its old address before it enumerates the link again. Default 2 s.</summary>
    /// <remarks>A software reset keeps the address; a power cut loses it.</remarks>
    public TimeSpan AddressRetentionGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many times one call resumes after a fault (power cut, lost link, timeout). Default 5.</summary>
    /// <remarks>
    /// A resume finds the device again by its unique id, re-offers the same image and continues from what the device
    /// holds. 0 fails at the first fault (the update can still be resumed by calling again).
    /// </remarks>
    public int MaxResumeAttempts { get; init; } = 5;

    /// <summary>The pause before each resume attempt, so a device that lost power can start. Default 500 ms.</summary>
    /// <remarks>None after the device announced its return (it is there; docs/updates.md section 5).</remarks>
    public TimeSpan ResumeDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>At most this many writes in flight to one device. Default null: the device's advertised receive buffers.</summary>
    /// <remarks>The RPC client never exceeds the receive buffers either. 1 makes the transfer stop-and-wait.</remarks>
    public int? MaxWritesInFlight { get; init; }

    /// <summary>The payload bytes per Write. Default null: the most that fits one data link frame on the path to the device.</summary>
    /// <remarks>
    /// The default is the largest multiple of the device's write alignment that fits one frame on the path and the
    /// device's maximum write size. Larger values are cut to the device's maximum write size and aligned.
    /// </remarks>
    public int? WriteChunkSize { get; init; }

    /// <summary>Seconds the bootloader waits for this host after EnterBootloader before it starts the application again. Default 120.</summary>
    /// <remarks>0 waits until the next reset. A BeginUpdate cancels the wait, so an update in progress is never left.</remarks>
    public ushort EnterBootloaderWaitSeconds { get; init; } = 120;

    /// <summary>Check the image against the device on the host before anything is sent. Default true.</summary>
    /// <remarks>
    /// Vendor and class, kind, binding to the device's unique id, security counter against the device's, load address
    /// and size against the target region, the device's authentication scheme (and the signature, with
    /// <see cref="TrustedVerifiers"/>), the CRC, the payload hash of a plaintext image, and this device's wrapped key in
    /// an encrypted image. The device checks all of it again either way.
    /// </remarks>
    public bool LocalPreCheck { get; init; } = true;

    /// <summary>Verifiers the local pre-check authenticates signed images with. Default empty: signatures are left to the device.</summary>
    /// <remarks>
    /// For example Csa.Crypto's ECDSA verifier with the product's public keys. CRC-32 images are always checked.
    /// </remarks>
    public IReadOnlyList<IImageVerifier> TrustedVerifiers { get; init; } = [];

    /// <summary>Authenticates every device before an update or install sends it anything (REQ-AUTH-DEV). Default null: none.</summary>
    /// <remarks>
    /// A fresh challenge signed by the device's identity key, checked against its certificate and the production trust
    /// anchor. A blank device, a forged certificate or a clone fails with <see cref="Provisioning.DeviceAuthenticationException"/>
    /// before a single byte of firmware is sent, and again at every resume (the device found again must still be the
    /// genuine one). Null suits products without provisioning.
    /// </remarks>
    public Provisioning.DeviceAuthenticator? DeviceAuthenticator { get; init; }

    /// <summary>After FinishUpdate, compare the region's SHA-256 (GetRegionHash) with the manifest's payload hash. Default true.</summary>
    public bool VerifyRegionHash { get; init; } = true;

    /// <summary>On cancellation of an update that has begun writing, send AbortUpdate. Default false: the update stays resumable.</summary>
    /// <remarks>
    /// True leaves the target region empty and invalid and the bootloader resident; false leaves the update resumable
    /// (the bootloader stays resident, the next call continues from what the device holds).
    /// </remarks>
    public bool AbortOnCancel { get; init; }

    /// <summary>Write one payload once to every device that shares it (multicast). Default true.</summary>
    /// <remarks>
    /// Read by <see cref="FirmwareUpdater.UpdateManyAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken, Func{InstallResult, FirmwareImage?, Task}?)"/>
    /// (docs/updates.md section 10a). False updates each device by itself, as
    /// <see cref="FirmwareUpdater.InstallAsync(IEnumerable{DeviceInfo}, Func{DeviceInfo, CancellationToken, Task{FirmwareImage}}, int, IProgress{UpdateProgress}?, CancellationToken)"/> does.
    /// </remarks>
    public bool Multicast { get; init; } = true;

    /// <summary>How long a transfer to a group waits, after its first member is ready, for the others. Default 10 s.</summary>
    /// <remarks>It then starts without them; they join while it runs, and get what they missed in the repair.</remarks>
    public TimeSpan MulticastFormationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Rounds of repair a transfer to a group makes before a member still missing blocks finishes by itself. Default 8.</summary>
    /// <remarks>A round asks every member for its missing blocks and sends them again.</remarks>
    public int MulticastRepairRounds { get; init; } = 8;

    /// <summary>The sliding window over which <see cref="UpdateProgress.BytesPerSecond"/> is measured. Default 2 s.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock for timeouts, pauses, rates and durations.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the updater logs; silent by default.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    // The workflows' shorthands for the retry policy.
    internal TimeSpan CommandTimeout => Retry.Timeout;

    internal int CommandAttempts => Retry.Attempts;

    /// <summary>Throws when a setting is out of range (the updater and the maintenance operations call it once, at construction).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentNullException">The retry policy, a verifier, the clock or the logger factory is null.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retry, nameof(Retry));
        Retry.Validate($"{nameof(UpdateOptions)}.{nameof(Retry)}");
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
        if (MaxResumeAttempts < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxResumeAttempts), MaxResumeAttempts, "The resume attempts cannot be negative.");
        if (MaxWritesInFlight is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxWritesInFlight), MaxWritesInFlight, "At least one write must be allowed in flight.");
        if (WriteChunkSize is < 16)
            throw new ArgumentOutOfRangeException(nameof(WriteChunkSize), WriteChunkSize, "A write carries at least 16 bytes (the write alignment).");
        ArgumentNullException.ThrowIfNull(TrustedVerifiers, nameof(TrustedVerifiers));
        if (TrustedVerifiers.Any(v => v is null))
            throw new ArgumentNullException(nameof(TrustedVerifiers), "A trusted verifier is null.");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(LoggerFactory, nameof(LoggerFactory));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }
}

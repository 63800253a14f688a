namespace Csa.Simulator.Firmware;

/// <summary>
/// How long the chip's CPU takes for the bootloader's cryptography, which the virtual device charges on its clock when
/// a profile sets <see cref="DeviceProfile.CpuTiming"/>: the start-up checks (the pre-bootloader verifies both bootloader
/// copies, the bootloader the application: a signature and the payload's SHA-256 each), BeginUpdate's signature check
/// (and, for an encrypted image, the key unwrap), the SHA-256 of every write (the payload is hashed while it is written)
/// and GetRegionHash. Without it (the default) the CPU takes no time and only the flash is charged
/// (docs/device-model.md section 1.4): the figures of a test or a demo do not depend on it.
/// </summary>
/// <param name="SignatureVerification">One ECDSA P-256 verification (also charged for an ECIES key unwrap, the same order of work).</param>
/// <param name="HashBytesPerSecond">SHA-256 throughput, in bytes per second.</param>
public sealed record CpuTiming(TimeSpan SignatureVerification, double HashBytesPerSecond)
{
    /// <summary>
    /// An STM32F4 at 168 MHz with the C bootloader's software cryptography: about 0.1 s per verification and 0.5 s per
    /// MiB of SHA-256 (firmware.md section 10.8: estimates from instruction counts, not measurements).
    /// </summary>
    public static CpuTiming Stm32F4 { get; } = new(TimeSpan.FromMilliseconds(100), 2 * 1024 * 1024);

    /// <summary>An STM32L4 at 80 MHz: about 0.2 s per verification and 1 s per MiB of SHA-256 (the same estimates, at the lower clock).</summary>
    public static CpuTiming Stm32L4 { get; } = new(TimeSpan.FromMilliseconds(200), 1024 * 1024);

    /// <summary>How long hashing <paramref name="bytes"/> takes.</summary>
    public TimeSpan Hash(long bytes) => TimeSpan.FromSeconds(bytes / HashBytesPerSecond);
}

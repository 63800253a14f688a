using Csa.Bootloader.Images;

namespace Csa.Simulator;

// The blocking forms, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class VirtualBench
{
    /// <summary>Blocking form of <see cref="StartAsync"/> (scripts, Python).</summary>
    public static VirtualBench Start(VirtualBenchOptions? options = null) => StartAsync(options).GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="BuildApplicationAsync"/>.</summary>
    public FirmwareImage BuildApplication(FirmwareVersion version, int size = 16 * 1024, uint securityCounter = 1) =>
        BuildApplicationAsync(version, size, securityCounter).GetAwaiter().GetResult();
}

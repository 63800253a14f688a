namespace Csa.Records;

// The blocking forms, for scripts and Python (pythonnet): same behaviour, the calling thread waits.
public sealed partial class StationRecorder
{
    /// <summary>Blocking form of <see cref="ForwardAsync"/> (for scripts and Python).</summary>
    public int Forward() => ForwardAsync().GetAwaiter().GetResult();

    /// <summary>Blocking form of <see cref="RecordInstallAsync"/> (for scripts and Python).</summary>
    public void RecordInstall(InstallEntry entry) => RecordInstallAsync(entry).GetAwaiter().GetResult();
}

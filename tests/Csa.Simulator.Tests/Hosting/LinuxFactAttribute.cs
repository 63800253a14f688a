namespace Csa.Simulator.Tests.Hosting;

/// <summary>A fact that runs on Linux only (pseudo-terminals); skipped with a reason elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Needs Linux pseudo-terminals (posix_openpt).";
    }
}

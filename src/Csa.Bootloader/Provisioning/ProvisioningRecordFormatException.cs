namespace Csa.Bootloader.Provisioning;

/// <summary>A record file or an allow-list file holds a line that cannot be read; names the file and the line.</summary>
public sealed class ProvisioningRecordFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProvisioningRecordFormatException(string path, int line, string message, Exception? innerException = null)
        : base($"{path}: {message}", innerException)
    {
        Path = path;
        Line = line;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The 1-based line (JSON lines, allow lists) or record number (CSV).</summary>
    public int Line { get; }
}

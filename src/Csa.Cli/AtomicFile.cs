using System.Text;

namespace Csa.Cli;

/// <summary>
/// Writes output files whole or not at all: to a temporary file beside the target, then a rename. A failed or
/// interrupted command never leaves a half-written image or key behind.
/// </summary>
internal static class AtomicFile
{
    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken) =>
        WriteAllBytesAsync(path, new UTF8Encoding(false).GetBytes(text), cancellationToken);

    public static async Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        string full = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
            throw CliException.File($"output directory does not exist: {directory}");
        string temporary = Path.Combine(directory ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            await File.WriteAllBytesAsync(temporary, bytes.ToArray(), cancellationToken).ConfigureAwait(false);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}

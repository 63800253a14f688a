namespace Csa.Cli.Images;

/// <summary>
/// Where the image and key commands write. An existing file is replaced only with --force (an image or key
/// replaced by accident may be the only copy), and every file is written whole or not at all.
/// </summary>
internal static class ImageOutputs
{
    /// <summary>Fails (exit 3) when <paramref name="path"/> exists and <paramref name="force"/> is false.</summary>
    public static void CheckWritable(string path, bool force)
    {
        if (Directory.Exists(path))
            throw CliException.File($"output {path} is a directory");
        if (!force && File.Exists(path))
            throw CliException.File($"{path} already exists; pass --force to replace it");
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
            throw CliException.File($"output directory does not exist: {directory}");
    }

    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, bool force, CancellationToken cancellationToken)
    {
        CheckWritable(path, force);
        await AtomicFile.WriteAllBytesAsync(path, bytes, cancellationToken).ConfigureAwait(false);
    }
}

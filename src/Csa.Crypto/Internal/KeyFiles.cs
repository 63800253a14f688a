using System.Text;

namespace Csa.Crypto.Internal;

/// <summary>Reading and writing key files: PEM text or, when the file has no PEM block, binary DER.</summary>
internal static class KeyFiles
{
    private static readonly byte[] PemMarker = "-----BEGIN "u8.ToArray();

    /// <summary>Reads a key file; returns its text when it is PEM, or null with <paramref name="der"/> set when it is DER.</summary>
    public static string? Read(string path, out byte[] der)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.AsSpan().IndexOf(PemMarker) >= 0)
        {
            der = [];
            return Encoding.UTF8.GetString(bytes);
        }

        if (bytes.Length > 0 && bytes[0] == 0x30)
        {
            der = bytes;
            return null;
        }

        throw new KeyFormatException(KeyFormatError.NotPem, $"The file '{path}' is neither PEM nor DER (a DER key starts with byte 0x30).");
    }

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> through a temporary file in the same folder and a
    /// rename, so a crash never leaves half a key. Private keys are created readable by the owner only on Unix
    /// (also when they replace a more permissive file), and an existing file is replaced only when asked:
    /// overwriting a signing key by accident loses it for good.
    /// </summary>
    public static void Write(string path, string text, bool secret, bool overwrite)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (!overwrite && File.Exists(fullPath))
        {
            throw new IOException($"The key file '{fullPath}' already exists; pass overwrite: true to replace it.");
        }

        string temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (secret && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.ASCII.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite);
        }
        finally
        {
            File.Delete(temporary); // no-op after a successful move
        }
    }
}

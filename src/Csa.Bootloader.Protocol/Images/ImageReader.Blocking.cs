namespace Csa.Bootloader.Images;

public static partial class ImageReader
{
    /// <summary>
    /// Reads and parses an image file, blocking: the synchronous form of <see cref="ReadFileAsync"/>, for scripts
    /// (a Python script loads an image in one call: <c>ImageReader.ReadFile(path)</c>).
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="IOException">The file could not be read.</exception>
    /// <exception cref="ImageFormatException">The file is not a well-formed image, or is longer than any image can be (<see cref="ImageFormat.MaxImageSize"/>).</exception>
    public static FirmwareImage ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        byte[] buffer = new byte[BoundedLength(stream)];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
                break;
            length += read;
        }
        return ParseRead(buffer, length, path);
    }
}

using Csa.Bootloader.Images.Internal;

namespace Csa.Bootloader.Images;

/// <summary>
/// Reads image files strictly: every field is checked against docs/image-format.md and the first defect is
/// reported as an <see cref="ImageFormatException"/> with its <see cref="ImageError"/> and byte offset.
/// Parsing checks structure only; whether a device accepts the image is <see cref="ImageValidator"/>'s job.
/// </summary>
public static partial class ImageReader
{
    /// <summary>Parses a whole image. The bytes are copied, so the caller may reuse its buffer.</summary>
    /// <exception cref="ImageFormatException">The image is malformed.</exception>
    public static FirmwareImage Parse(ReadOnlySpan<byte> image) => ImageParser.Parse(image.ToArray());

    /// <summary>Parses a whole image. The returned image refers to <paramref name="image"/> without copying; do not change it afterwards.</summary>
    /// <exception cref="ImageFormatException">The image is malformed.</exception>
    public static FirmwareImage Parse(ReadOnlyMemory<byte> image) => ImageParser.Parse(image);

    /// <summary>Parses a whole image from a byte array (the form Python passes). The bytes are copied.</summary>
    /// <exception cref="ImageFormatException">The image is malformed.</exception>
    public static FirmwareImage Parse(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageParser.Parse((byte[])image.Clone());
    }

    /// <summary>Parses a whole image, returning false and the defect instead of throwing.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> image, out FirmwareImage? result, out ImageFormatException? error)
    {
        try
        {
            result = ImageParser.Parse(image);
            error = null;
            return true;
        }
        catch (ImageFormatException e)
        {
            result = null;
            error = e;
            return false;
        }
    }

    /// <summary>Parses a whole image, returning false instead of throwing.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> image, out FirmwareImage? result) => TryParse(image, out result, out _);

    /// <summary>
    /// Parses only the manifest at the start of <paramref name="data"/>: what a device does when the update
    /// protocol hands it the manifest before the payload. Bytes after the manifest are ignored.
    /// </summary>
    /// <exception cref="ImageFormatException">The manifest is malformed or incomplete.</exception>
    public static ImageManifest ParseManifest(ReadOnlySpan<byte> data) => ImageParser.ParseManifest(data, out _);

    /// <summary>
    /// Reads and parses an image file. At most <see cref="ImageFormat.MaxImageSize"/> bytes are read: a longer file (or a
    /// pipe or device that never ends) is refused as <see cref="ImageError.TrailingData"/> at that offset, without
    /// reading the rest.
    /// </summary>
    /// <exception cref="ImageFormatException">The file is not a well-formed image, or is longer than any image can be.</exception>
    public static async Task<FirmwareImage> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        await using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        byte[] buffer = new byte[BoundedLength(stream)];
        int length = 0;
        while (length < buffer.Length)
        {
            int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            length += read;
        }
        return ParseRead(buffer, length, path);
    }

    /// <summary>How much to read: the file's length when it has one, at most one byte more than the largest image.</summary>
    private static int BoundedLength(FileStream stream)
    {
        long known = stream.CanSeek ? stream.Length : 0;
        // Devices and pipes report length 0 (or none): read up to the limit and see.
        return known is > 0 and <= ImageFormat.MaxImageSize ? (int)known + 1 : ImageFormat.MaxImageSize + 1;
    }

    private static FirmwareImage ParseRead(byte[] buffer, int length, string path)
    {
        if (length > ImageFormat.MaxImageSize)
        {
            throw new ImageFormatException(ImageError.TrailingData, ImageFormat.MaxImageSize,
                $"{path} is longer than the largest image the format allows ({ImageFormat.MaxImageSize} bytes); it was not read further");
        }
        return ImageParser.Parse(buffer.AsMemory(0, length));
    }
}

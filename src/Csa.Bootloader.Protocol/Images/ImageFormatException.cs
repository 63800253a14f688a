namespace Csa.Bootloader.Images;

/// <summary>
/// An image file is malformed. <see cref="Error"/> says which rule it breaks and <see cref="Offset"/> where;
/// the message says both in words. A malformed image is never partly accepted.
/// </summary>
public sealed class ImageFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">The rule the image breaks.</param>
    /// <param name="offset">The byte offset in the image where the defect is.</param>
    /// <param name="message">What is wrong, in words.</param>
    public ImageFormatException(ImageError error, long offset, string message)
        : base($"{message} (image byte offset {offset}, error {error})")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>The rule the image breaks.</summary>
    public ImageError Error { get; }

    /// <summary>The byte offset in the image where the defect is.</summary>
    public long Offset { get; }
}

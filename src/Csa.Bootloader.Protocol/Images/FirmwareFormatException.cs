namespace Csa.Bootloader.Images;

/// <summary>
/// A firmware input file (Intel HEX, Motorola S-record or ELF) is malformed or cannot become an image. The
/// subclass names the format and carries its own error code and position; catch this type to handle them all.
/// Nothing of a malformed file is ever used.
/// </summary>
public abstract class FirmwareFormatException : FormatException
{
    /// <summary>Creates the exception with its complete message.</summary>
    /// <param name="message">What is wrong and where, in words.</param>
    protected FirmwareFormatException(string message)
        : base(message)
    {
    }

    /// <summary>The format the file was read as.</summary>
    public abstract FirmwareFileFormat Format { get; }
}

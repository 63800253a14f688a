namespace Csa.Bootloader.Images;

/// <summary>An ELF firmware file is malformed or not STM32 firmware; <see cref="Error"/> says what and <see cref="Offset"/> where.</summary>
public sealed class ElfFormatException : FirmwareFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="offset">The byte offset in the file of the offending header or field.</param>
    /// <param name="message">What is wrong, in words.</param>
    public ElfFormatException(ElfError error, long offset, string message)
        : base($"ELF file: {message} (file offset {offset}, {error})")
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>What is wrong.</summary>
    public ElfError Error { get; }

    /// <summary>The byte offset in the file of the offending header or field.</summary>
    public long Offset { get; }

    /// <inheritdoc/>
    public override FirmwareFileFormat Format => FirmwareFileFormat.Elf;
}

namespace Csa.Bootloader.Images;

/// <summary>A Motorola S-record file is malformed; <see cref="LineNumber"/> (1-based) says where and <see cref="Error"/> what.</summary>
public sealed class SRecordFormatException : FirmwareFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">What is wrong.</param>
    /// <param name="lineNumber">The 1-based line, or 0 when the defect is the file as a whole (e.g. no data).</param>
    /// <param name="message">What is wrong, in words.</param>
    public SRecordFormatException(SRecordError error, int lineNumber, string message)
        : base(lineNumber > 0 ? $"S-record line {lineNumber}: {message} ({error})" : $"S-record file: {message} ({error})")
    {
        Error = error;
        LineNumber = lineNumber;
    }

    /// <summary>What is wrong.</summary>
    public SRecordError Error { get; }

    /// <summary>The 1-based line number of the defect, or 0 for the file as a whole.</summary>
    public int LineNumber { get; }

    /// <inheritdoc/>
    public override FirmwareFileFormat Format => FirmwareFileFormat.SRecord;
}

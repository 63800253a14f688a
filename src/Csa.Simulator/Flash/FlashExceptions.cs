namespace Csa.Simulator.Flash;

/// <summary>The base of every error the simulated flash reports.</summary>
public class FlashException : Exception
{
    /// <summary>Creates the exception with a message that says what went wrong.</summary>
    public FlashException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error underneath it.</summary>
    public FlashException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// A flash operation or read that the flash controller refused or failed: the chip would have set the status
/// flag that <see cref="Error"/> names. A refused program or erase changed nothing.
/// </summary>
public sealed class FlashProgrammingException : FlashException
{
    /// <summary>Creates the exception for <paramref name="error"/> at <paramref name="address"/>.</summary>
    public FlashProgrammingException(FlashError error, uint address, string message)
        : base(message)
    {
        Error = error;
        Address = address;
    }

    /// <summary>What went wrong.</summary>
    public FlashError Error { get; }

    /// <summary>The address the error concerns (the first offending address, or the sector's start).</summary>
    public uint Address { get; }
}

/// <summary>
/// The simulated device has no power: a planned or explicit power cut happened. Every operation, reads included,
/// throws this until <see cref="SimulatedFlash.PowerOn"/>; the flash keeps its content.
/// </summary>
public sealed class PowerLossException : FlashException
{
    /// <summary>Creates the exception with a message that says which operation the cut hit.</summary>
    public PowerLossException(string message) : base(message) { }
}

/// <summary>Why a flash image file could not be loaded.</summary>
public enum FlashImageFileError
{
    /// <summary>The file is shorter than its header or its declared content.</summary>
    Truncated,

    /// <summary>The file does not start with the flash image magic: it is not a flash image.</summary>
    NotAFlashImage,

    /// <summary>The file was written by a format version this library does not read.</summary>
    UnsupportedVersion,

    /// <summary>The file's CRC does not match its content, or its sections contradict each other.</summary>
    Corrupt,

    /// <summary>The file names a flash geometry this library does not know.</summary>
    UnknownGeometry,

    /// <summary>The file holds a different flash geometry than the caller expected.</summary>
    GeometryMismatch,
}

/// <summary>A flash image file is corrupt, truncated, of another version or of another geometry.</summary>
public sealed class FlashImageFileException : FlashException
{
    /// <summary>Creates the exception for <paramref name="error"/> in <paramref name="path"/>.</summary>
    public FlashImageFileException(FlashImageFileError error, string path, string message)
        : base($"{path}: {message}")
    {
        Error = error;
        Path = path;
    }

    /// <summary>What is wrong with the file.</summary>
    public FlashImageFileError Error { get; }

    /// <summary>The file concerned.</summary>
    public string Path { get; }
}

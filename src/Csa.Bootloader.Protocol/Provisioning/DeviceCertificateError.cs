namespace Csa.Bootloader.Provisioning;

/// <summary>What is wrong with bytes that should be a device certificate (docs/security.md section 10.2).</summary>
public enum DeviceCertificateError
{
    /// <summary>Fewer than 176 bytes.</summary>
    Truncated,

    /// <summary>More than 176 bytes.</summary>
    TrailingData,

    /// <summary>Bytes 0-3 are not "CSAC" (0x43415343).</summary>
    BadMagic,

    /// <summary>The format version (bytes 4-5) is not 1.</summary>
    UnsupportedVersion,

    /// <summary>The length field (bytes 6-7) is not 176.</summary>
    BadLength,

    /// <summary>The lifecycle (byte 28) is not a defined <see cref="Csa.Bootloader.Protocol.DeviceLifecycle"/>.</summary>
    BadLifecycle,

    /// <summary>The key algorithm (byte 29) is not 1 (P-256).</summary>
    UnsupportedKeyAlgorithm,

    /// <summary>The reserved bytes 30-31 are not zero.</summary>
    ReservedNotZero,

    /// <summary>The serial number (bytes 32-35) is zero.</summary>
    ZeroSerialNumber,
}

/// <summary>Bytes that should be a device certificate break a rule of its format.</summary>
public sealed class DeviceCertificateFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public DeviceCertificateFormatException(DeviceCertificateError error, int offset, string message)
        : base(message)
    {
        Error = error;
        Offset = offset;
    }

    /// <summary>Which rule is broken.</summary>
    public DeviceCertificateError Error { get; }

    /// <summary>The byte offset of the offending field.</summary>
    public int Offset { get; }
}

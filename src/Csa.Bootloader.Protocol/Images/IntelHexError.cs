namespace Csa.Bootloader.Images;

/// <summary>What is wrong with an Intel HEX file (see <see cref="IntelHexFormatException"/>).</summary>
public enum IntelHexError
{
    /// <summary>A line does not start with ':'.</summary>
    MissingStartCode = 1,

    /// <summary>A line holds a character that is not a hex digit, or an odd number of digits.</summary>
    BadHexDigit,

    /// <summary>A line's length disagrees with its byte count field, or a fixed-size record has the wrong byte count.</summary>
    BadRecordLength,

    /// <summary>A line's checksum byte does not make its bytes sum to zero.</summary>
    BadChecksum,

    /// <summary>A record type other than 00-05.</summary>
    UnknownRecordType,

    /// <summary>A data record writes an address that an earlier record already wrote.</summary>
    OverlappingData,

    /// <summary>The file has no end-of-file record (01).</summary>
    MissingEndOfFile,

    /// <summary>A record follows the end-of-file record.</summary>
    DataAfterEndOfFile,

    /// <summary>A start address record (03 or 05) appears twice with different values.</summary>
    ConflictingStartAddress,

    /// <summary>The file holds no data bytes.</summary>
    NoData,

    /// <summary>The data spans more than the largest payload, or runs past the 32-bit address space.</summary>
    SpanTooLarge,
}

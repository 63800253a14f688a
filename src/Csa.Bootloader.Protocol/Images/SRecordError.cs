namespace Csa.Bootloader.Images;

/// <summary>What is wrong with a Motorola S-record file (see <see cref="SRecordFormatException"/>).</summary>
public enum SRecordError
{
    /// <summary>A line does not start with 'S' and a record type digit.</summary>
    MissingStartCode = 1,

    /// <summary>A line holds a character that is not a hex digit, or an odd number of digits.</summary>
    BadHexDigit,

    /// <summary>A line's length disagrees with its byte count field, or a record is too short for its address.</summary>
    BadRecordLength,

    /// <summary>A line's checksum byte is not the ones' complement of the low byte of the sum of its other bytes.</summary>
    BadChecksum,

    /// <summary>S4 (reserved) or a type that is not a digit 0-9.</summary>
    UnknownRecordType,

    /// <summary>An S0 header record that is not the first record.</summary>
    MisplacedHeader,

    /// <summary>An S5/S6 record count that disagrees with the number of S1/S2/S3 records before it.</summary>
    RecordCountMismatch,

    /// <summary>A data record writes an address that an earlier record already wrote.</summary>
    OverlappingData,

    /// <summary>The file has no termination record (S7, S8 or S9).</summary>
    MissingTermination,

    /// <summary>A record follows the termination record.</summary>
    DataAfterTermination,

    /// <summary>The file holds no data bytes.</summary>
    NoData,

    /// <summary>The data spans more than the largest payload, or runs past the 32-bit address space.</summary>
    SpanTooLarge,
}

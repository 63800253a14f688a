namespace Csa.DataLink.Bus;

/// <summary>
/// Constants of the on-bus framing (docs/transports.md section 7): the 6-byte headers that start every I2C read and
/// every SPI transaction, their magic values and flags. The data link's COBS byte stream travels after the headers,
/// unchanged.
/// </summary>
public static class BusFraming
{
    /// <summary>Length of the slave header and of the SPI master header: 6 bytes.</summary>
    public const int HeaderLength = 6;

    /// <summary>The upper nibble of a valid slave status byte (protocol 1): <c>0xA_</c>. 0x00 and 0xFF (a silent bus) never match.</summary>
    public const byte SlaveMagic = 0xA0;

    /// <summary>The first byte of the SPI master header (protocol 1, command "transfer"): <c>0x51</c>.</summary>
    public const byte MasterTransfer = 0x51;

    /// <summary>The largest value of a 16-bit length field: no transaction carries more stream bytes than this.</summary>
    public const int MaxFieldValue = ushort.MaxValue;

    /// <summary>What a slave sends after its offered bytes, and the master after its stream bytes (the receiver ignores it).</summary>
    public const byte Filler = 0x00;

    /// <summary>What the master reads from a slave that does not drive MISO (pulled up): never a valid header.</summary>
    public const byte IdleLine = 0xFF;
}

/// <summary>The flags in the low bits of the slave status byte.</summary>
[Flags]
public enum SlaveFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>The slave's bus interface (re)started since it last delivered a header: its queues are empty, its stream starts afresh.</summary>
    Reset = 0x01,

    /// <summary>More bytes are queued than <see cref="SlaveHeader.Available"/> offers in this transaction.</summary>
    More = 0x02,

    /// <summary>The slave discarded stream bytes the master sent beyond its free space since it last delivered a header.</summary>
    Overflow = 0x04,
}

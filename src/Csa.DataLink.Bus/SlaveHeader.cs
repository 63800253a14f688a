using Csa.DataLink.Bus.Internal;

namespace Csa.DataLink.Bus;

/// <summary>
/// The 6 bytes a slave sends first in every I2C read and on MISO at the start of every SPI transaction:
/// <c>status</c> (<c>0xA0 | flags</c>), <c>available</c> (u16 LE: stream bytes that follow in this transaction),
/// <c>free</c> (u16 LE: stream bytes the slave can take), CRC-8/SMBUS of the first five bytes.
/// </summary>
/// <param name="Flags">Reset, more, overflow.</param>
/// <param name="Available">Stream bytes the slave sends right after this header in this transaction (if the master clocks them).</param>
/// <param name="Free">Stream bytes the slave can take from the master now.</param>
public readonly record struct SlaveHeader(SlaveFlags Flags, ushort Available, ushort Free)
{
    /// <summary>Writes the 6 header bytes.</summary>
    /// <param name="destination">At least <see cref="BusFraming.HeaderLength"/> bytes.</param>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < BusFraming.HeaderLength)
            throw new ArgumentException($"A slave header needs {BusFraming.HeaderLength} bytes.", nameof(destination));
        destination[0] = (byte)(BusFraming.SlaveMagic | ((byte)Flags & 0x07));
        destination[1] = (byte)Available;
        destination[2] = (byte)(Available >> 8);
        destination[3] = (byte)Free;
        destination[4] = (byte)(Free >> 8);
        destination[5] = Crc8Smbus.Compute(destination[..5]);
    }

    /// <summary>Reads a slave header; false when the bytes are not one (wrong magic, reserved bit set, CRC mismatch, too short).</summary>
    /// <param name="source">The first bytes of the transaction.</param>
    /// <param name="header">The header when valid.</param>
    /// <returns>True when <paramref name="source"/> starts with a valid header.</returns>
    public static bool TryParse(ReadOnlySpan<byte> source, out SlaveHeader header)
    {
        header = default;
        if (source.Length < BusFraming.HeaderLength)
            return false;
        byte status = source[0];
        if ((status & 0xF8) != BusFraming.SlaveMagic || Crc8Smbus.Compute(source[..5]) != source[5])
            return false;
        header = new SlaveHeader((SlaveFlags)(status & 0x07), (ushort)(source[1] | (source[2] << 8)), (ushort)(source[3] | (source[4] << 8)));
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"available {Available}, free {Free}, flags {Flags}";
}

/// <summary>
/// The 6 bytes an SPI master sends first on MOSI in every transaction: <c>0x51</c>, <c>write</c> (u16 LE: stream
/// bytes in the data area), <c>length</c> (u16 LE: data bytes the transaction clocks after the header), CRC-8/SMBUS of
/// the first five bytes. I2C needs no master header: a write transaction is all stream bytes.
/// </summary>
/// <param name="WriteLength">Stream bytes at the start of the data area; the rest of it is filler.</param>
/// <param name="DataLength">Bytes the transaction clocks after the header (at least <paramref name="WriteLength"/>).</param>
public readonly record struct MasterHeader(ushort WriteLength, ushort DataLength)
{
    /// <summary>Writes the 6 header bytes.</summary>
    /// <param name="destination">At least <see cref="BusFraming.HeaderLength"/> bytes.</param>
    public void Write(Span<byte> destination)
    {
        if (destination.Length < BusFraming.HeaderLength)
            throw new ArgumentException($"A master header needs {BusFraming.HeaderLength} bytes.", nameof(destination));
        destination[0] = BusFraming.MasterTransfer;
        destination[1] = (byte)WriteLength;
        destination[2] = (byte)(WriteLength >> 8);
        destination[3] = (byte)DataLength;
        destination[4] = (byte)(DataLength >> 8);
        destination[5] = Crc8Smbus.Compute(destination[..5]);
    }

    /// <summary>Reads a master header; false when the bytes are not one (wrong command, CRC mismatch, write longer than the data area, too short).</summary>
    /// <param name="source">The first bytes of the transaction.</param>
    /// <param name="header">The header when valid.</param>
    /// <returns>True when <paramref name="source"/> starts with a valid header.</returns>
    public static bool TryParse(ReadOnlySpan<byte> source, out MasterHeader header)
    {
        header = default;
        if (source.Length < BusFraming.HeaderLength || source[0] != BusFraming.MasterTransfer || Crc8Smbus.Compute(source[..5]) != source[5])
            return false;
        var parsed = new MasterHeader((ushort)(source[1] | (source[2] << 8)), (ushort)(source[3] | (source[4] << 8)));
        if (parsed.WriteLength > parsed.DataLength)
            return false;
        header = parsed;
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => $"write {WriteLength} of {DataLength}";
}

using System.Device.I2c;
using System.Device.Spi;

namespace Csa.DataLink.Bus.Internal;

/// <summary>What one exchange with the device did.</summary>
internal enum ExchangeOutcome
{
    /// <summary>The device answered with a valid header (and took the stream bytes).</summary>
    Answered,

    /// <summary>Only a write was made (I2C, no poll asked) and the device acknowledged it.</summary>
    Written,

    /// <summary>The device did not acknowledge, or the driver reported an I/O error: nothing is known to have arrived.</summary>
    Failed,

    /// <summary>A header came back but was not valid: the device is not driving the bus (or the bytes were garbled).</summary>
    InvalidHeader,
}

/// <summary>
/// One bus's way of carrying an exchange (docs/transports.md section 7): I2C as a write transaction and a separate
/// read transaction, SPI as one full-duplex transfer with a header each way. The transport's loop is the same for both.
/// </summary>
internal abstract class BusPort : IDisposable
{
    /// <summary>True when a write and a read share the clocks (SPI): every exchange is a poll.</summary>
    public abstract bool IsFullDuplex { get; }

    /// <summary>
    /// Writes <paramref name="stream"/> (may be empty) and, when <paramref name="poll"/>, reads a header and up to
    /// <paramref name="readPositions"/> data bytes into <paramref name="buffer"/>.
    /// </summary>
    /// <returns>The outcome, the header when answered, how many data bytes were clocked after the header, and whether the stream bytes were taken.</returns>
    public abstract (ExchangeOutcome Outcome, SlaveHeader Header, int Clocked, bool WriteTaken) Exchange(ReadOnlySpan<byte> stream, bool poll, int readPositions, Span<byte> buffer, BusLinkCounters counters);

    public abstract void Dispose();
}

/// <summary>I2C: a write transaction carries stream bytes only; a read transaction starts with the slave header.</summary>
internal sealed class I2cPort(I2cDevice device) : BusPort
{
    public override bool IsFullDuplex => false;

    public override (ExchangeOutcome, SlaveHeader, int, bool) Exchange(ReadOnlySpan<byte> stream, bool poll, int readPositions, Span<byte> buffer, BusLinkCounters counters)
    {
        bool written = false;
        if (!stream.IsEmpty)
        {
            counters.Transaction();
            try
            {
                device.Write(stream);
                written = true;
                counters.DataClocked(stream.Length);
            }
            catch (IOException)
            {
                counters.Failure();
                return (ExchangeOutcome.Failed, default, 0, false);
            }
        }
        if (!poll)
            return (ExchangeOutcome.Written, default, 0, written);
        counters.Transaction();
        Span<byte> read = buffer[..(BusFraming.HeaderLength + readPositions)];
        try
        {
            device.Read(read);
        }
        catch (IOException)
        {
            counters.Failure();
            return (ExchangeOutcome.Failed, default, 0, written);
        }
        counters.Header(BusFraming.HeaderLength);
        counters.DataClocked(readPositions);
        return SlaveHeader.TryParse(read, out SlaveHeader header)
            ? (ExchangeOutcome.Answered, header, readPositions, written)
            : (ExchangeOutcome.InvalidHeader, default, readPositions, written);
    }

    public override void Dispose() => device.Dispose();
}

/// <summary>SPI: one transfer of header + data area each way; the stream bytes count as taken when the slave's header is valid.</summary>
internal sealed class SpiPort(SpiDevice device) : BusPort
{
    private byte[] _mosi = new byte[BusFraming.HeaderLength + 64];

    public override bool IsFullDuplex => true;

    public override (ExchangeOutcome, SlaveHeader, int, bool) Exchange(ReadOnlySpan<byte> stream, bool poll, int readPositions, Span<byte> buffer, BusLinkCounters counters)
    {
        int data = Math.Max(stream.Length, readPositions);
        int length = BusFraming.HeaderLength + data;
        if (_mosi.Length < length)
            _mosi = new byte[Math.Max(length, _mosi.Length * 2)];
        Span<byte> mosi = _mosi.AsSpan(0, length);
        new MasterHeader((ushort)stream.Length, (ushort)data).Write(mosi);
        stream.CopyTo(mosi[BusFraming.HeaderLength..]);
        mosi[(BusFraming.HeaderLength + stream.Length)..].Fill(BusFraming.Filler);
        Span<byte> miso = buffer[..length];
        counters.Transaction();
        try
        {
            device.TransferFullDuplex(mosi, miso);
        }
        catch (IOException)
        {
            counters.Failure();
            return (ExchangeOutcome.Failed, default, 0, false);
        }
        counters.Header(BusFraming.HeaderLength);
        counters.DataClocked(data);
        // A slave that was not there (MISO idle) or not ready took nothing; one that answered took the stream bytes.
        return SlaveHeader.TryParse(miso, out SlaveHeader header)
            ? (ExchangeOutcome.Answered, header, data, true)
            : (ExchangeOutcome.InvalidHeader, default, data, false);
    }

    public override void Dispose() => device.Dispose();
}

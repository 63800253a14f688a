namespace Csa.DataLink.Bus;

/// <summary>What a <see cref="BusLinkTransport"/> did on the bus (live values, thread-safe): the figures behind its efficiency.</summary>
public sealed class BusLinkCounters
{
    private long _transactions;
    private long _polls;
    private long _emptyPolls;
    private long _bytesWritten;
    private long _bytesRead;
    private long _headerBytes;
    private long _fillerBytes;
    private long _dataBytesClocked;
    private long _failures;
    private long _invalidHeaders;
    private long _deviceResets;
    private long _overflows;
    private long _bytesDiscardedOffline;
    private long _offlineTransitions;

    /// <summary>Bus transactions started (I2C reads and writes, SPI transfers), failed ones included.</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>Transactions that read a header (every I2C read, every SPI transfer).</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>Polls that moved no stream byte in either direction: the polling overhead.</summary>
    public long EmptyPolls => Interlocked.Read(ref _emptyPolls);

    /// <summary>Stream bytes the device took.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Stream bytes read from the device.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Header bytes clocked (both directions of SPI count once: they share the clocks).</summary>
    public long HeaderBytes => Interlocked.Read(ref _headerBytes);

    /// <summary>Bytes clocked after the headers (I2C: every byte of a write, the data area of a read; SPI: the shared data area).</summary>
    public long DataBytesClocked => Interlocked.Read(ref _dataBytesClocked);

    /// <summary>Data-area bytes clocked that carried no stream byte either way (filler, and the data areas of transactions whose header was not valid).</summary>
    public long FillerBytes => Interlocked.Read(ref _fillerBytes);

    /// <summary>Transactions the device did not acknowledge or the driver failed (I2C NAK, I/O error).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Headers that were not valid (SPI slave not driving MISO, wrong mode, noise).</summary>
    public long InvalidHeaders => Interlocked.Read(ref _invalidHeaders);

    /// <summary>Headers with <see cref="SlaveFlags.Reset"/>: the device's bus interface restarted.</summary>
    public long DeviceResets => Interlocked.Read(ref _deviceResets);

    /// <summary>Headers with <see cref="SlaveFlags.Overflow"/>: the device discarded bytes it had no room for.</summary>
    public long Overflows => Interlocked.Read(ref _overflows);

    /// <summary>Bytes the host wrote while the device was offline, discarded.</summary>
    public long BytesDiscardedOffline => Interlocked.Read(ref _bytesDiscardedOffline);

    /// <summary>How often the device went offline.</summary>
    public long OfflineTransitions => Interlocked.Read(ref _offlineTransitions);

    internal void Transaction() => Interlocked.Increment(ref _transactions);

    internal void Poll(bool empty)
    {
        Interlocked.Increment(ref _polls);
        if (empty)
            Interlocked.Increment(ref _emptyPolls);
    }

    internal void Written(int count) => Interlocked.Add(ref _bytesWritten, count);

    internal void Read(int count) => Interlocked.Add(ref _bytesRead, count);

    internal void Header(int count) => Interlocked.Add(ref _headerBytes, count);

    internal void Filler(int count) => Interlocked.Add(ref _fillerBytes, count);

    internal void DataClocked(int count) => Interlocked.Add(ref _dataBytesClocked, count);

    internal void Failure() => Interlocked.Increment(ref _failures);

    internal void InvalidHeader() => Interlocked.Increment(ref _invalidHeaders);

    internal void DeviceReset() => Interlocked.Increment(ref _deviceResets);

    internal void Overflow() => Interlocked.Increment(ref _overflows);

    internal void DiscardedOffline(long count) => Interlocked.Add(ref _bytesDiscardedOffline, count);

    internal void WentOffline() => Interlocked.Increment(ref _offlineTransitions);
}

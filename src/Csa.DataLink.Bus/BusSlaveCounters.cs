namespace Csa.DataLink.Bus;

/// <summary>What a <see cref="BusSlave"/> has seen on the bus (live values, thread-safe).</summary>
public sealed class BusSlaveCounters
{
    private long _transactions;
    private long _naks;
    private long _bytesReceived;
    private long _bytesSent;
    private long _bytesOverflowed;
    private long _invalidMasterHeaders;
    private long _shortTransactions;

    /// <summary>Transactions addressed to the slave while it answered (I2C reads and writes, SPI transfers).</summary>
    public long Transactions => Interlocked.Read(ref _transactions);

    /// <summary>I2C transactions it did not acknowledge (not powered, not configured), and SPI transfers it did not drive.</summary>
    public long Naks => Interlocked.Read(ref _naks);

    /// <summary>Stream bytes taken from the master into the receive buffer.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Stream bytes the master clocked out of the outbound queue.</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Stream bytes discarded because the master sent more than the free space (flag <see cref="SlaveFlags.Overflow"/>).</summary>
    public long BytesOverflowed => Interlocked.Read(ref _bytesOverflowed);

    /// <summary>SPI transactions whose master header was not valid (their stream bytes were ignored).</summary>
    public long InvalidMasterHeaders => Interlocked.Read(ref _invalidMasterHeaders);

    /// <summary>SPI transactions that ended (chip select released) before the length their master header announced.</summary>
    public long ShortTransactions => Interlocked.Read(ref _shortTransactions);

    internal void Transaction() => Interlocked.Increment(ref _transactions);

    internal void Nak() => Interlocked.Increment(ref _naks);

    internal void Received(int count) => Interlocked.Add(ref _bytesReceived, count);

    internal void Sent(int count) => Interlocked.Add(ref _bytesSent, count);

    internal void Overflowed(int count) => Interlocked.Add(ref _bytesOverflowed, count);

    internal void InvalidMasterHeader() => Interlocked.Increment(ref _invalidMasterHeaders);

    internal void ShortTransaction() => Interlocked.Increment(ref _shortTransactions);
}

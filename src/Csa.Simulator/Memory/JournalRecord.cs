namespace Csa.Simulator.Memory;

/// <summary>One record of the <see cref="StateJournal"/>.</summary>
public sealed class JournalRecord
{
    internal JournalRecord(uint sequence, byte[] payload, uint address)
    {
        Sequence = sequence;
        Payload = payload;
        Address = address;
    }

    /// <summary>The record's sequence number: 1 for the first record, one more for each later one.</summary>
    public uint Sequence { get; }

    /// <summary>The payload the record was appended with.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The flash address of the record's slot.</summary>
    public uint Address { get; }

    /// <summary>The payload as a new array (for callers that cannot use <see cref="ReadOnlyMemory{T}"/>).</summary>
    public byte[] GetPayload() => Payload.ToArray();

    /// <inheritdoc />
    public override string ToString() => $"record {Sequence} at 0x{Address:X8} ({Payload.Length} bytes)";
}

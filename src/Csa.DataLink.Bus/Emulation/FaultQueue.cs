namespace Csa.DataLink.Bus.Emulation;

/// <summary>Faults waiting for the transactions of one slave.</summary>
internal sealed class FaultQueue
{
    private readonly List<EmulatedBusFault> _faults = [];

    public void Add(EmulatedBusFault fault)
    {
        lock (_faults)
            _faults.Add(fault);
    }

    /// <summary>Takes the first fault of <paramref name="kind"/> that applies to a transaction carrying <paramref name="length"/> bytes that way.</summary>
    public EmulatedBusFault? Take(EmulatedBusFaultKind kind, int length)
    {
        lock (_faults)
        {
            int i = _faults.FindIndex(f => f.Kind == kind && (kind is EmulatedBusFaultKind.Nak || f.ByteIndex < length));
            if (i < 0)
                return null;
            EmulatedBusFault fault = _faults[i];
            _faults.RemoveAt(i);
            return fault;
        }
    }

    public int Count
    {
        get
        {
            lock (_faults)
                return _faults.Count;
        }
    }
}

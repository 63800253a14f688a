using System.Buffers;

namespace Csa.DataLink.Transports.Internal;

/// <summary>
/// Bytes on their way to the receiver. A <em>paced</em> chunk holds consecutive line bytes numbered
/// <see cref="FirstNumber"/>.. of the line anchored at <see cref="Anchor"/>; each one arrives at its own due
/// time. A <em>burst</em> (a duplicate copy or a frame released after reordering) arrives whole together
/// with line byte <see cref="FirstNumber"/>.
/// </summary>
internal sealed class WireChunk(byte[] data, int length, long anchor, long firstNumber, bool isBurst)
{
    public byte[] Data { get; } = data;

    public int Length { get; } = length;

    public long Anchor { get; } = anchor;

    public long FirstNumber { get; } = firstNumber;

    public bool IsBurst { get; } = isBurst;

    /// <summary>How many bytes the delivery loop has handed over already (only it touches this).</summary>
    public int Delivered { get; set; }

    /// <summary>The line number of the next byte to hand over.</summary>
    public long NextNumber => IsBurst ? FirstNumber : FirstNumber + Delivered;

    /// <summary>How many further bytes have arrived when line byte <paramref name="lastArrived"/> has.</summary>
    public int ArrivedBeyondDelivered(long lastArrived)
    {
        if (lastArrived < NextNumber)
        {
            return 0;
        }

        if (IsBurst)
        {
            return Length - Delivered;
        }

        long arrived = lastArrived - FirstNumber + 1;
        return (int)Math.Min(arrived, Length) - Delivered;
    }
}

/// <summary>Collects the output of one transmitted batch into <see cref="WireChunk"/>s.</summary>
internal sealed class WireChunkBuilder
{
    private readonly List<WireChunk> _chunks = [];
    private readonly ArrayBufferWriter<byte> _paced = new();
    private long _pacedFirst;
    private long _anchor;

    /// <summary>Starts a batch on the line anchored at <paramref name="anchor"/>.</summary>
    public void Begin(long anchor)
    {
        _chunks.Clear();
        _paced.ResetWrittenCount();
        _anchor = anchor;
    }

    /// <summary>Line byte <paramref name="number"/> is delivered at its own due time.</summary>
    public void Paced(byte value, long number)
    {
        if (_paced.WrittenCount > 0 && number != _pacedFirst + _paced.WrittenCount)
        {
            ClosePaced();
        }

        if (_paced.WrittenCount == 0)
        {
            _pacedFirst = number;
        }

        _paced.GetSpan(1)[0] = value;
        _paced.Advance(1);
    }

    /// <summary><paramref name="bytes"/> arrive whole together with line byte <paramref name="number"/>.</summary>
    public void Burst(ReadOnlySpan<byte> bytes, long number)
    {
        ClosePaced();
        _chunks.Add(new WireChunk(bytes.ToArray(), bytes.Length, _anchor, number, isBurst: true));
    }

    /// <summary>Ends the batch and returns its chunks in delivery order.</summary>
    public List<WireChunk> Finish()
    {
        ClosePaced();
        return _chunks;
    }

    private void ClosePaced()
    {
        if (_paced.WrittenCount > 0)
        {
            _chunks.Add(new WireChunk(_paced.WrittenSpan.ToArray(), _paced.WrittenCount, _anchor, _pacedFirst, isBurst: false));
            _paced.ResetWrittenCount();
        }
    }
}

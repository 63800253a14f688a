using System.Buffers;

namespace Csa.DataLink.Internal;

/// <summary>
/// Rebuilds packets from their frames, one instance per link (so two unassigned nodes behind different links
/// never mix). Limits: at most <c>maxPerSource</c> packets in progress per source node (the oldest is evicted),
/// at most <c>maxPacketSize</c> bytes per packet, and a packet whose next fragment does not arrive within the
/// timeout is freed. Links deliver frames in order, so fragments are accepted strictly in index order: a
/// duplicate is dropped, a gap discards the packet, index 0 restarts it. Thread-safe.
/// </summary>
internal sealed class Reassembler : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<ReassemblyKey, Reassembly> _active = [];
    private readonly int _maxPacketSize;
    private readonly int _maxPerSource;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;
    private readonly Action<FrameDropReason, Endpoint, ushort, int> _onDropped;
    private long _sequence;
    private bool _disposed;

    public Reassembler(int maxPacketSize, int maxPerSource, TimeSpan timeout, TimeProvider timeProvider, Action<FrameDropReason, Endpoint, ushort, int> onDropped)
    {
        _maxPacketSize = maxPacketSize;
        _maxPerSource = maxPerSource;
        _timeout = timeout;
        _timeProvider = timeProvider;
        _onDropped = onDropped;
    }

    /// <summary>Packets currently being reassembled (each holds a buffer).</summary>
    public int ActiveCount
    {
        get
        {
            lock (_gate)
                return _active.Count;
        }
    }

    /// <summary>
    /// Takes one fragment of a multi-frame packet (a single-frame packet never comes here). Returns the whole
    /// packet when this was its last fragment, otherwise null. Drops are reported through the callback, under the
    /// lock, so counts are exact when the call returns.
    /// </summary>
    public byte[]? Accept(in FrameHeader header, ReadOnlySpan<byte> payload)
    {
        var key = new ReassemblyKey(header.Source, header.Destination.Port, header.PacketId);
        int droppedBytes;
        byte[]? completed = null;
        lock (_gate)
        {
            if (_disposed)
                return null;
            _active.TryGetValue(key, out Reassembly? current);
            if (current is not null && header.FragmentIndex != current.NextIndex)
            {
                if (header.FragmentIndex == 0)
                {
                    // The sender started this packet id afresh (it gave up on the old one): restart.
                    droppedBytes = current.Length;
                    Remove(current);
                    Report(FrameDropReason.FragmentOutOfOrder, header, droppedBytes);
                    current = null;
                }
                else if (header.FragmentIndex < current.NextIndex)
                {
                    Report(FrameDropReason.DuplicateFragment, header, payload.Length);
                    return null;
                }
                else
                {
                    droppedBytes = current.Length;
                    Remove(current);
                    Report(FrameDropReason.FragmentOutOfOrder, header, droppedBytes);
                    return null;
                }
            }

            if (current is null)
            {
                if (header.FragmentIndex != 0)
                {
                    Report(FrameDropReason.OrphanFragment, header, payload.Length);
                    return null;
                }
                EvictOldestIfFull(header.Source.Node);
                current = new Reassembly(this, key, ++_sequence);
                _active.Add(key, current);
                current.Timer = _timeProvider.CreateTimer(static state => ((Reassembly)state!).Owner.OnTimeout((Reassembly)state!), current, _timeout, Timeout.InfiniteTimeSpan);
            }

            if (payload.Length > _maxPacketSize - current.Length
                || (!header.IsLastFragment && header.FragmentIndex == DataLinkProtocol.MaxFragmentsPerPacket - 1))
            {
                droppedBytes = current.Length + payload.Length;
                Remove(current);
                Report(FrameDropReason.PacketTooLarge, header, droppedBytes);
                return null;
            }

            current.Append(payload, _maxPacketSize);
            current.NextIndex++;
            if (header.IsLastFragment)
            {
                completed = current.Buffer.AsSpan(0, current.Length).ToArray();
                Remove(current);
            }
            else
            {
                current.Timer!.Change(_timeout, Timeout.InfiniteTimeSpan);
            }
        }
        return completed;
    }

    private void Report(FrameDropReason reason, in FrameHeader header, int bytes)
        => _onDropped(reason, header.Source, header.PacketId, bytes);

    private void EvictOldestIfFull(NodeAddress source)
    {
        int count = 0;
        Reassembly? oldest = null;
        foreach (Reassembly candidate in _active.Values)
        {
            if (candidate.Key.Source.Node != source)
                continue;
            count++;
            if (oldest is null || candidate.Sequence < oldest.Sequence)
                oldest = candidate;
        }
        if (count >= _maxPerSource && oldest is not null)
        {
            int bytes = oldest.Length;
            Remove(oldest);
            _onDropped(FrameDropReason.ReassemblyEvicted, oldest.Key.Source, oldest.Key.PacketId, bytes);
        }
    }

    private void OnTimeout(Reassembly reassembly)
    {
        lock (_gate)
        {
            if (!_active.TryGetValue(reassembly.Key, out Reassembly? current) || !ReferenceEquals(current, reassembly))
                return;
            Remove(reassembly);
        }
        _onDropped(FrameDropReason.ReassemblyTimeout, reassembly.Key.Source, reassembly.Key.PacketId, reassembly.LengthAtRemoval);
    }

    private void Remove(Reassembly reassembly)
    {
        _active.Remove(reassembly.Key);
        reassembly.Release();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (Reassembly reassembly in _active.Values)
                reassembly.Release();
            _active.Clear();
        }
    }

    private readonly record struct ReassemblyKey(Endpoint Source, byte DestinationPort, ushort PacketId);

    private sealed class Reassembly(Reassembler owner, ReassemblyKey key, long sequence)
    {
        public Reassembler Owner { get; } = owner;
        public ReassemblyKey Key { get; } = key;
        public long Sequence { get; } = sequence;
        public ITimer? Timer { get; set; }
        public byte[] Buffer { get; private set; } = [];
        public int Length { get; private set; }
        public int LengthAtRemoval { get; private set; }
        public int NextIndex { get; set; }

        public void Append(ReadOnlySpan<byte> payload, int maxPacketSize)
        {
            int needed = Length + payload.Length;
            if (needed > Buffer.Length)
            {
                int size = Math.Min(maxPacketSize, Math.Max(needed, Math.Max(256, Buffer.Length * 2)));
                byte[] larger = ArrayPool<byte>.Shared.Rent(size);
                Buffer.AsSpan(0, Length).CopyTo(larger);
                if (Buffer.Length != 0)
                    ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = larger;
            }
            payload.CopyTo(Buffer.AsSpan(Length));
            Length = needed;
        }

        public void Release()
        {
            Timer?.Dispose();
            LengthAtRemoval = Length;
            if (Buffer.Length != 0)
                ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
            Length = 0;
        }
    }
}

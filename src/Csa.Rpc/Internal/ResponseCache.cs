using Csa.DataLink;

namespace Csa.Rpc.Internal;

/// <summary>What the cache knows about a request the server receives.</summary>
internal enum CacheLookup
{
    /// <summary>Never seen (or seen with other content): execute it.</summary>
    New,

    /// <summary>Answered before: send the cached answer again.</summary>
    Answered,

    /// <summary>Its first copy is still executing: ignore this one; the first copy's answer will go out.</summary>
    Executing,

    /// <summary>
    /// A late copy of a request whose answer already left the cache. The client has its answer (it never lets an
    /// unanswered request fall that far behind), so the copy is dropped.
    /// </summary>
    Stale,
}

/// <summary>
/// The server's memory of recent requests, per client endpoint and request id, bounded in every direction:
/// <c>depth</c> answers per client (oldest answered entry evicted first; executing entries are never evicted),
/// then <c>historyDepth</c> fingerprints of evicted entries for at most <c>historyLifetime</c>, and
/// <c>maxClients</c> clients (least recently heard from evicted first). Thread-safe.
/// </summary>
internal sealed class ResponseCache(int depth, int maxClients, int historyDepth, TimeSpan historyLifetime, TimeProvider time)
{
    private readonly object _lock = new();
    private readonly Dictionary<Endpoint, ClientEntries> _clients = new();
    private readonly LinkedList<Endpoint> _clientOrder = new(); // most recently heard from at the end

    /// <summary>Looks <paramref name="requestId"/> up; on <see cref="CacheLookup.New"/> it is recorded as executing.</summary>
    public CacheLookup BeginOrReplay(Endpoint client, ushort requestId, RequestFingerprint fingerprint, out byte[]? cachedAnswer)
    {
        cachedAnswer = null;
        lock (_lock)
        {
            ClientEntries entries = Touch(client);
            if (entries.Map.TryGetValue(requestId, out Entry? entry))
            {
                if (entry.Fingerprint == fingerprint)
                {
                    cachedAnswer = entry.Answer;
                    return cachedAnswer is null ? CacheLookup.Executing : CacheLookup.Answered;
                }
                // Same id, other content: an old entry from a previous session of that client. Forget it.
                entries.Remove(requestId, entry);
            }
            else if (entries.Evicted.Remove(requestId, out Tombstone? tombstone) &&
                     tombstone.Fingerprint == fingerprint &&
                     time.GetElapsedTime(tombstone.EvictedAt) < historyLifetime)
            {
                entries.Evicted[requestId] = tombstone; // still remembered for further late copies
                return CacheLookup.Stale;
            }
            entries.MakeRoom(depth, historyDepth, time.GetTimestamp());
            entries.Add(requestId, new Entry(fingerprint));
            return CacheLookup.New;
        }
    }

    /// <summary>Stores the answer of an executed request, or forgets the request when the answer must not be replayed.</summary>
    public void Complete(Endpoint client, ushort requestId, RequestFingerprint fingerprint, byte[]? answer)
    {
        lock (_lock)
        {
            if (!_clients.TryGetValue(client, out ClientEntries? entries) ||
                !entries.Map.TryGetValue(requestId, out Entry? entry) ||
                entry.Fingerprint != fingerprint)
            {
                return; // the client's cache was evicted meanwhile; nothing to replay from
            }
            if (answer is null)
                entries.Remove(requestId, entry);
            else
                entry.Answer = answer;
        }
    }

    private ClientEntries Touch(Endpoint client)
    {
        if (_clients.TryGetValue(client, out ClientEntries? entries))
        {
            _clientOrder.Remove(entries.OrderNode);
            _clientOrder.AddLast(entries.OrderNode);
            return entries;
        }
        if (_clients.Count >= maxClients && _clientOrder.First is { } oldest)
        {
            _clients.Remove(oldest.Value);
            _clientOrder.RemoveFirst();
        }
        entries = new ClientEntries(_clientOrder.AddLast(client));
        _clients.Add(client, entries);
        return entries;
    }

    private sealed class Entry(RequestFingerprint fingerprint)
    {
        public RequestFingerprint Fingerprint { get; } = fingerprint;

        public byte[]? Answer { get; set; } // null while executing

        public LinkedListNode<ushort>? OrderNode { get; set; }
    }

    private sealed record Tombstone(RequestFingerprint Fingerprint, long EvictedAt);

    private sealed class ClientEntries(LinkedListNode<Endpoint> orderNode)
    {
        public LinkedListNode<Endpoint> OrderNode { get; } = orderNode;

        public Dictionary<ushort, Entry> Map { get; } = new();

        public Dictionary<ushort, Tombstone> Evicted { get; } = new();

        private LinkedList<ushort> Order { get; } = new(); // oldest first

        private Queue<(ushort RequestId, Tombstone Tombstone)> EvictionOrder { get; } = new();

        public void Add(ushort requestId, Entry entry)
        {
            entry.OrderNode = Order.AddLast(requestId);
            Map.Add(requestId, entry);
        }

        public void Remove(ushort requestId, Entry entry)
        {
            Map.Remove(requestId);
            if (entry.OrderNode is not null)
                Order.Remove(entry.OrderNode);
        }

        // Evicts the oldest answered entries until one more fits, keeping their fingerprints in the history.
        // Executing entries stay: their answer is still owed.
        public void MakeRoom(int depth, int historyDepth, long now)
        {
            LinkedListNode<ushort>? node = Order.First;
            while (Map.Count >= depth && node is not null)
            {
                LinkedListNode<ushort>? next = node.Next;
                Entry entry = Map[node.Value];
                if (entry.Answer is not null)
                {
                    Remove(node.Value, entry);
                    Remember(node.Value, entry.Fingerprint, now, historyDepth);
                }
                node = next;
            }
        }

        private void Remember(ushort requestId, RequestFingerprint fingerprint, long now, int historyDepth)
        {
            if (historyDepth == 0)
                return;
            var tombstone = new Tombstone(fingerprint, now);
            Evicted[requestId] = tombstone;
            EvictionOrder.Enqueue((requestId, tombstone));
            while (EvictionOrder.Count > historyDepth)
            {
                (ushort oldId, Tombstone old) = EvictionOrder.Dequeue();
                // The id may have been remembered again since; only forget this very tombstone.
                if (Evicted.TryGetValue(oldId, out Tombstone? current) && ReferenceEquals(current, old))
                    Evicted.Remove(oldId);
            }
        }
    }
}

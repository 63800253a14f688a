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
}

/// <summary>
/// The server's memory of recent requests, per client endpoint and request id, bounded in both directions:
/// <c>depth</c> entries per client (oldest answered entry evicted first; executing entries are never evicted)
/// and <c>maxClients</c> clients (least recently heard from evicted first). Thread-safe.
/// </summary>
internal sealed class ResponseCache(int depth, int maxClients)
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
            entries.MakeRoom(depth);
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

    private sealed class ClientEntries(LinkedListNode<Endpoint> orderNode)
    {
        public LinkedListNode<Endpoint> OrderNode { get; } = orderNode;

        public Dictionary<ushort, Entry> Map { get; } = new();

        private LinkedList<ushort> Order { get; } = new(); // oldest first

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

        // Evicts the oldest answered entries until one more fits. Executing entries stay: their answer is still owed.
        public void MakeRoom(int depth)
        {
            LinkedListNode<ushort>? node = Order.First;
            while (Map.Count >= depth && node is not null)
            {
                LinkedListNode<ushort>? next = node.Next;
                Entry entry = Map[node.Value];
                if (entry.Answer is not null)
                    Remove(node.Value, entry);
                node = next;
            }
        }
    }
}

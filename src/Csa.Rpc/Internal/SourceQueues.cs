using Csa.DataLink;

namespace Csa.Rpc.Internal;

/// <summary>
/// Runs the commands of each source endpoint one at a time, in the order they were handed over: the command loop of a
/// device, one per client. A source whose queue is empty has no entry and no task; the first command starts a drain on
/// the thread pool, which runs that source's commands until its queue is empty. Sources do not wait for each other.
/// </summary>
/// <remarks>
/// Ordering is by hand-over, so the caller (the server's read loop, the only one) hands commands over in arrival
/// order. A command never waits here for anything but the commands of its own source before it.
/// </remarks>
internal sealed class SourceQueues
{
    private readonly object _lock = new();
    private readonly Dictionary<Endpoint, Queue<Func<Task>>> _queues = [];
    private readonly Action<Exception> _failed;
    private int _waiting;

    /// <param name="failed">
    /// Told about a command whose work threw; the drain goes on with the next one, so a failure never strands the
    /// commands behind it (each still answers, or frees its receive buffer when the server shuts down).
    /// </param>
    public SourceQueues(Action<Exception> failed) => _failed = failed;

    /// <summary>Commands handed over that have not started: each waits for an earlier command of its source.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Queues <paramref name="work"/> behind the commands of <paramref name="source"/> handed over before it.
    /// Returns the drain's task when this call started one (the caller tracks it to wait for it at shutdown), else null.
    /// </summary>
    public Task? Enqueue(Endpoint source, Func<Task> work)
    {
        lock (_lock)
        {
            if (_queues.TryGetValue(source, out Queue<Func<Task>>? queue))
            {
                queue.Enqueue(work);
                Interlocked.Increment(ref _waiting);
                return null;
            }
            _queues.Add(source, new Queue<Func<Task>>());
        }
        return Task.Run(() => DrainAsync(source, work));
    }

    private async Task DrainAsync(Endpoint source, Func<Task> first)
    {
        Func<Task>? next = first;
        while (next is not null)
        {
            try
            {
                await next().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // One command's failure must not stop the commands queued behind it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _failed(ex);
            }
            lock (_lock)
            {
                // Under the lock that Enqueue takes: a command is either seen here or starts a drain of its own.
                if (_queues[source].TryDequeue(out next))
                    Interlocked.Decrement(ref _waiting);
                else
                    _queues.Remove(source);
            }
        }
    }
}

using Csa.DataLink.Internal;

namespace Csa.DataLink;

/// <summary>
/// One link of a <see cref="DataLinkNode"/>, as returned by <see cref="DataLinkNode.AddLink"/>. The node owns
/// the transport: it disposes it when the link closes, is removed, or the node is disposed.
/// </summary>
public sealed class NodeLink
{
    internal NodeLink(DataLinkNode node, LinkConnection connection, Reassembler reassembler, LinkRole role)
    {
        Node = node;
        Connection = connection;
        Reassembler = reassembler;
        Role = role;
    }

    /// <summary>The transport's name, e.g. <c>tcp://10.0.0.5:5000</c>.</summary>
    public string Name => Connection.Name;

    /// <summary>Which way the link points.</summary>
    public LinkRole Role { get; }

    /// <summary>This link's counters.</summary>
    public DataLinkCounters Counters => Connection.Counters;

    /// <summary>False once the transport ended or failed, or the link was removed.</summary>
    public bool IsOpen => !Connection.IsClosed;

    /// <summary>Why the link closed, or null while it is open.</summary>
    public LinkClosedException? CloseReason => Connection.ClosedReason;

    /// <summary>Completes (never faults) when the link has closed; see <see cref="CloseReason"/>.</summary>
    public Task Completion => Connection.Completion;

    internal DataLinkNode Node { get; }

    internal LinkConnection Connection { get; }

    internal Reassembler Reassembler { get; }

    private readonly CancellationTokenSource _closed = new();

    /// <summary>Cancelled when the link closes: what waits for an answer over it stops at once.</summary>
    internal CancellationToken ClosedToken => _closed.Token;

    internal void MarkClosed() => _closed.Cancel();

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Role}{(IsOpen ? "" : ", closed")})";
}

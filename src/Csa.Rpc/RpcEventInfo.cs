using Csa.DataLink;

namespace Csa.Rpc;

/// <summary>
/// What a subscriber learns about one event besides its message: who published it, its sequence number, and what the
/// sequence numbers say about the events of the same interface and event id that did not reach this subscription
/// (docs/rpc-packets.md section 9).
/// </summary>
/// <param name="Source">The node that published the event.</param>
/// <param name="Sequence">The publisher's sequence number for this interface and event id (0 after it started, wrapping at 16 bits).</param>
/// <param name="Missed">
/// Events of this id from <paramref name="Source"/> that this subscription did not get between the previous one it got
/// and this one: lost on the way, or dropped because the handler fell more than
/// <see cref="RpcClientOptions.EventQueueCapacity"/> behind. After a restart it counts the new run's events before this
/// one; what the publisher sent before it restarted, after the previous event received, cannot be known. 0 for the
/// first event a subscription gets from a source.
/// </param>
/// <param name="PublisherRestarted">
/// The publisher started afresh: this is its first event of this id since it started (<see cref="RpcPacketFlags.FirstEvent"/>),
/// or, when that one was lost, the sequence went back behind the previous event received.
/// </param>
public readonly record struct RpcEventInfo(NodeAddress Source, ushort Sequence, int Missed, bool PublisherRestarted);

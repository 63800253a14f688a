using System.Buffers;
using System.Collections.Concurrent;
using Csa.DataLink;
using Csa.Rpc.Tests.Support;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

/// <summary>
/// docs/rpc-packets.md section 9: an event's sequence number counts the events of its own interface and event id, so a
/// subscriber's gap is a loss, and a publisher's restart is recognisable (the FIRST flag, or the number going back).
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class RpcEventSequenceTests
{
    private const ushort OtherEvent = 0x0002;

    /// <summary>What a subscription received: each event's info and value, in order.</summary>
    private sealed class Received
    {
        private readonly ConcurrentQueue<(RpcEventInfo Info, uint Value)> _events = new();

        public void Add(RpcEventInfo info, U32Message message) => _events.Enqueue((info, message.Value));

        public (RpcEventInfo Info, uint Value)[] Events => [.. _events];

        public Task WaitForValueAsync(uint value) => WaitUntilAsync(() => _events.Any(e => e.Value == value));
    }

    private static IDisposable Subscribe(RpcTestBed bed, ushort eventId, Received into) =>
        bed.Client.SubscribeEventWithSequence<U32Message>(RpcTestBed.Device, TestService.Id, eventId, into.Add);

    private static ushort[] EventSequences(RpcTestBed bed, ushort eventId) => bed.Network.SentPackets
        .Select(p => p.Header()).Where(h => h.Kind == RpcPacketKind.Event && h.MessageId == eventId).Select(h => h.RequestId).ToArray();

    [Fact]
    public async Task Each_event_id_counts_on_its_own_so_events_of_other_ids_leave_no_gap()
    {
        await using var bed = new RpcTestBed();
        bed.Network.RecordPackets = true;
        var counter = new Received();
        using IDisposable subscription = Subscribe(bed, TestService.CounterEvent, counter);

        for (uint i = 0; i < 10; i++)
        {
            await bed.Server.PublishAsync(TestService.Id, TestService.CounterEvent, new U32Message(i), default);
            await bed.Server.PublishAsync(TestService.Id, OtherEvent, new U32Message(100 + i), default);
            await bed.Server.PublishAsync(0x0200, TestService.CounterEvent, new U32Message(200 + i), default); // another interface, same event id
        }
        await counter.WaitForValueAsync(9);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ushort)i), EventSequences(bed, TestService.CounterEvent).Where((_, i) => i % 2 == 0));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ushort)i), EventSequences(bed, OtherEvent));
        RpcPacketHeader[] firsts = bed.Network.SentPackets.Select(p => p.Header()).Where(h => h.Kind == RpcPacketKind.Event && h.Flags == RpcPacketFlags.FirstEvent).ToArray();
        Assert.Equal(3, firsts.Length); // one per (interface, event id), each with number 0
        Assert.All(firsts, h => Assert.Equal((ushort)0, h.RequestId));

        (RpcEventInfo Info, uint Value)[] events = counter.Events;
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (uint)i), events.Select(e => e.Value));
        Assert.All(events, e => Assert.Equal(0, e.Info.Missed));
        Assert.True(events[0].Info.PublisherRestarted); // the publisher's first event of the id: it started
        Assert.All(events.Skip(1), e => Assert.False(e.Info.PublisherRestarted));
        Assert.All(events, e => Assert.Equal(RpcTestBed.Device, e.Info.Source));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task Over_a_lossy_link_each_gap_is_exactly_the_events_that_were_lost(int seed)
    {
        // A third of the events are lost on the way (any id, decided by a seeded generator), and another id is published
        // in between: the subscriber's missed counts must name exactly the lost events of its own id, one by one.
        await using var bed = new RpcTestBed();
        var random = new Random(seed);
        var lost = new ConcurrentDictionary<ushort, bool>();
        const uint Last = 199;
        bed.Network.Intercept = packet =>
        {
            RpcPacketHeader header = packet.Header();
            if (header.Kind != RpcPacketKind.Event)
                return PacketFate.Deliver;
            bool drop = random.Next(3) == 0 && ValueOf(packet) != Last; // the last one arrives, so the test knows when it is done
            if (drop && header.MessageId == TestService.CounterEvent)
                lost[header.RequestId] = true;
            return drop ? PacketFate.Drop : PacketFate.Deliver;
        };
        var counter = new Received();
        using IDisposable subscription = Subscribe(bed, TestService.CounterEvent, counter);

        for (uint i = 0; i <= Last; i++)
        {
            await bed.Server.PublishAsync(TestService.Id, TestService.CounterEvent, new U32Message(i), default);
            if (i % 3 == 0)
                await bed.Server.PublishAsync(TestService.Id, OtherEvent, new U32Message(1000 + i), default);
        }
        await counter.WaitForValueAsync(Last);

        (RpcEventInfo Info, uint Value)[] events = counter.Events;
        Assert.NotEmpty(lost);
        Assert.Equal(Last + 1, (uint)(events.Length + lost.Count));
        ushort? previous = null;
        foreach ((RpcEventInfo info, uint value) in events)
        {
            Assert.Equal((ushort)value, info.Sequence); // the publisher numbered them 0, 1, 2, ... in publishing order
            if (previous is ushort p)
            {
                // Every number in the gap is an event that was lost, and the missed count is their number.
                int gap = info.Sequence - p - 1;
                Assert.All(Enumerable.Range(p + 1, gap), s => Assert.True(lost.ContainsKey((ushort)s), $"event {s} counted as missed but it was delivered"));
                Assert.Equal(gap, info.Missed);
                Assert.False(info.PublisherRestarted);
            }
            else
            {
                Assert.Equal(0, info.Missed); // the first event a subscription gets is its baseline
            }
            previous = info.Sequence;
        }
        Assert.Equal(lost.Keys.Count(s => s > events[0].Info.Sequence), events.Sum(e => e.Info.Missed));
    }

    [Fact]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task A_restart_is_recognised_by_its_FIRST_flag_and_when_that_event_was_lost_by_the_number_going_back()
    {
        var network = new FakePacketNetwork();
        network.Advertise(RpcTestBed.Device, new NodeCapabilities(1, 256, 4));
        network.Advertise(NodeAddress.Host, new NodeCapabilities(1, 256, 8));
        await using var client = new RpcClient(network.Bind(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc)), new RpcClientOptions { OwnsSocket = true });
        var counter = new Received();
        using IDisposable subscription = client.SubscribeEventWithSequence<U32Message>(RpcTestBed.Device, TestService.Id, TestService.CounterEvent, counter.Add);

        // First run: events 0..4. Second run (a reset: a new server on the same endpoint): 0 arrives with FIRST.
        await PublishRunAsync(network, values: [1, 2, 3, 4, 5]);
        await counter.WaitForValueAsync(5);
        await PublishRunAsync(network, values: [11, 12, 13]);
        await counter.WaitForValueAsync(13);
        // Third run: its FIRST event is lost on the way, so the next one (number 1) is behind the last one received (2).
        network.Intercept = packet => packet.Header() is { Kind: RpcPacketKind.Event, Flags: RpcPacketFlags.FirstEvent } ? PacketFate.Drop : PacketFate.Deliver;
        await PublishRunAsync(network, values: [21, 22, 23]);
        await counter.WaitForValueAsync(23);
        // Fourth run, FIRST lost again, and the next number (1) equals the last one received (1): not a duplicate,
        // because the event is another one.
        await PublishRunAsync(network, values: [31, 32]);
        await counter.WaitForValueAsync(32);

        (RpcEventInfo Info, uint Value)[] events = counter.Events;
        Assert.Equal([1u, 2, 3, 4, 5, 11, 12, 13, 22, 23, 32], events.Select(e => e.Value));
        Assert.Equal([true, false, false, false, false, true, false, false, true, false, true], events.Select(e => e.Info.PublisherRestarted));
        Assert.Equal([0, 1, 2, 3, 4, 0, 1, 2, 1, 2, 1], events.Select(e => (int)e.Info.Sequence));
        // After a restart whose FIRST event was lost, the one event of the new run that did not arrive is counted.
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1], events.Select(e => e.Info.Missed));
    }

    [Fact]
    public async Task Sequence_rules_at_the_subscriber_wrap_duplicate_gap_and_restart()
    {
        // Crafted packets (a third-party publisher's): the subscriber applies the table of rpc-packets.md section 9.
        await using var bed = new RpcTestBed();
        var counter = new Received();
        using IDisposable subscription = Subscribe(bed, TestService.CounterEvent, counter);
        (ushort Sequence, RpcPacketFlags Flags)[] sent =
        [
            (65534, RpcPacketFlags.None), // a subscription's first event: baseline
            (65535, RpcPacketFlags.None),
            (0, RpcPacketFlags.None), // the wrap: no gap, no restart
            (0, RpcPacketFlags.None), // a duplicate (same number, same payload): not delivered again
            (5, RpcPacketFlags.None), // 1..4 lost
            (0, RpcPacketFlags.FirstEvent), // a restart
            (1, RpcPacketFlags.None),
        ];
        for (int i = 0; i < sent.Length; i++)
        {
            var packet = new ArrayBufferWriter<byte>();
            uint value = i == 3 ? 2u : (uint)i; // the duplicate repeats event 2's payload
            RpcPacket.Write(packet, new RpcPacketHeader(RpcPacketKind.Event, sent[i].Flags, TestService.Id, TestService.CounterEvent, sent[i].Sequence), BitConverter.GetBytes(value));
            await bed.DeviceSocket.SendAsync(new Endpoint(NodeAddress.Host, WellKnownPorts.Rpc), packet.WrittenMemory);
        }
        await counter.WaitForValueAsync((uint)sent.Length - 1);

        (RpcEventInfo Info, uint Value)[] events = counter.Events;
        Assert.Equal([0u, 1, 2, 4, 5, 6], events.Select(e => e.Value));
        Assert.Equal([0, 0, 0, 4, 0, 0], events.Select(e => e.Info.Missed));
        Assert.Equal([false, false, false, false, true, false], events.Select(e => e.Info.PublisherRestarted));
    }

    /// <summary>A publisher run: a server that starts on the device's endpoint, publishes, and goes away (a reset).</summary>
    private static async Task PublishRunAsync(FakePacketNetwork network, uint[] values)
    {
        await using var server = new RpcServer(network.Bind(new Endpoint(RpcTestBed.Device, WellKnownPorts.Rpc)), new RpcServerOptions { OwnsSocket = true });
        foreach (uint value in values)
            await server.PublishAsync(TestService.Id, TestService.CounterEvent, new U32Message(value), default);
    }

    private static uint ValueOf(SentPacket packet) => BitConverter.ToUInt32(packet.Bytes, RpcPacketHeader.Size);
}

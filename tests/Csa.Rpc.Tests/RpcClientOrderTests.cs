using System.Buffers;
using System.Buffers.Binary;
using System.Threading.Channels;
using Csa.DataLink;
using Csa.Rpc.Internal;
using static Csa.Rpc.Tests.Support.TestHelpers;

namespace Csa.Rpc.Tests;

/// <summary>
/// Calls that waited for the device's window leave in the order they were issued (docs/rpc-packets.md section 8): a
/// device runs its commands in arrival order, so a finish issued behind the last write must not overtake it on the
/// wire. The tests answer by hand: nothing depends on timing, only on the order the client hands packets to the link.
/// </summary>
[Trait("Requirement", "REQ-RPC")]
public sealed class RpcClientOrderTests
{
    private static readonly NodeAddress Device = new(0x01);

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(15)]
    public async Task Calls_issued_against_a_full_window_leave_in_issue_order(byte receiveBuffers)
    {
        const int calls = 400;
        await using var socket = new WireRecorder(new NodeCapabilities(1, 256, receiveBuffers));
        await using var client = new RpcClient(socket, new RpcClientOptions { FirstRequestId = 0xFFF0, DefaultTimeout = Timeout.InfiniteTimeSpan });
        Assert.Equal(receiveBuffers, await client.GetWindowSizeAsync(Device).WaitAsync(HangGuard));

        // Issued one after another from this thread; all but the first window's worth wait for a slot.
        Task<byte[]>[] pending = Issue(client, calls);

        // Answer whatever the device holds, all at once, so that several waiters are admitted together: their
        // continuations then race on the thread pool, and only the client's hand-off keeps them in order. (Without it
        // the 15-buffer case fails every time: one answer that frees the replay window admits many waiters, and the
        // pool thread that admitted them runs their continuations from its local queue, last in, first out.)
        await AnswerAllAsync(socket, pending, receiveBuffers);
        AssertIssueOrder(socket.Commands, calls);
    }

    [Fact]
    public async Task Calls_issued_before_the_devices_window_is_known_leave_in_issue_order()
    {
        const int calls = 100;
        const int receiveBuffers = 4;
        var capabilities = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var socket = new WireRecorder(new NodeCapabilities(1, 256, receiveBuffers), capabilities.Task);
        await using var client = new RpcClient(socket, new RpcClientOptions { DefaultTimeout = Timeout.InfiniteTimeSpan });

        // The first calls to a device wait for its receive buffers (one query); they enter its window in issue order.
        // (Before, each awaited the query and then entered: in order only as long as the query's completion ran their
        // continuations inline, one after another, which a deep stack or a scheduler change would not.)
        Task<byte[]>[] pending = Issue(client, calls);
        capabilities.SetResult();
        await AnswerAllAsync(socket, pending, receiveBuffers);
        AssertIssueOrder(socket.Commands, calls);
        Assert.Equal(1, socket.CapabilityQueries);
    }

    private static Task<byte[]>[] Issue(RpcClient client, int calls)
    {
        var pending = new Task<byte[]>[calls];
        for (int i = 0; i < calls; i++)
        {
            byte[] payload = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(payload, i);
            pending[i] = client.InvokeRawAsync(Device, 0x0100, 0x0001, payload);
        }
        return pending;
    }

    /// <summary>Answers the commands a window at a time as they reach the wire, until every call is answered.</summary>
    private static async Task AnswerAllAsync(WireRecorder socket, Task<byte[]>[] pending, int window)
    {
        int answered = 0;
        while (answered < pending.Length)
        {
            int expected = Math.Min(pending.Length, answered + window);
            IReadOnlyList<WireRecorder.Command> sent = await socket.WaitForCommandsAsync(expected).WaitAsync(HangGuard);
            for (int i = answered; i < expected; i++)
                socket.Answer(sent[i]);
            answered = expected;
        }
        await Task.WhenAll(pending).WaitAsync(HangGuard);
    }

    private static void AssertIssueOrder(IReadOnlyList<WireRecorder.Command> wire, int calls)
    {
        Assert.Equal(calls, wire.Count);
        int[] order = wire.Select(c => c.CallIndex).ToArray();
        int firstOutOfOrder = Enumerable.Range(0, calls).FirstOrDefault(i => order[i] != i, -1);
        Assert.True(firstOutOfOrder < 0,
            $"call {(firstOutOfOrder < 0 ? 0 : order[firstOutOfOrder])} left in place {firstOutOfOrder}; the wire order began " +
            string.Join(", ", order.Take(Math.Max(0, firstOutOfOrder) + 4)));
        // Request ids are taken in the same order: consecutive on the wire (wrapping at 16 bits).
        Assert.All(Enumerable.Range(1, calls - 1), i => Assert.Equal(unchecked((ushort)(wire[i - 1].RequestId + 1)), wire[i].RequestId));
    }

    [Fact]
    public async Task A_turn_goes_to_tickets_in_admission_order_and_skips_one_that_ended_early()
    {
        var window = new DeviceWindow(capacity: 4);
        long[] tickets = new long[4];
        for (int i = 0; i < tickets.Length; i++)
            tickets[i] = await window.EnterAsync(default);

        Task first = window.WaitTurnAsync(tickets[0], default);
        Task second = window.WaitTurnAsync(tickets[1], default);
        Task fourth = window.WaitTurnAsync(tickets[3], default);
        Assert.True(first.IsCompleted);
        Assert.False(second.IsCompleted);

        window.EndTurn(tickets[2]); // the third was cancelled before it sent: it gives up its turn out of order
        Assert.False(second.IsCompleted);
        Assert.False(fourth.IsCompleted);
        window.EndTurn(tickets[0]);
        await second.WaitAsync(HangGuard);
        Assert.False(fourth.IsCompleted);
        window.EndTurn(tickets[1]);
        await fourth.WaitAsync(HangGuard); // the third's turn was skipped
    }

    /// <summary>
    /// The host's socket: records every command handed to it, in the order SendAsync was called, and lets the test
    /// answer each one. Completes every send at once (the packet is "on the wire" when SendAsync is called).
    /// </summary>
    private sealed class WireRecorder(NodeCapabilities capabilities, Task? capabilitiesKnown = null) : IPacketSocket
    {
        private int _capabilityQueries;

        private readonly Channel<InboundPacket> _inbound = Channel.CreateUnbounded<InboundPacket>();
        private readonly object _lock = new();
        private readonly List<Command> _commands = [];
        private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<Command>> Done)> _waiters = [];

        public Endpoint LocalEndpoint { get; } = new(NodeAddress.Host, WellKnownPorts.Rpc);

        public ChannelReader<InboundPacket> Inbound => _inbound.Reader;

        public IReadOnlyList<Command> Commands
        {
            get
            {
                lock (_lock)
                    return [.. _commands];
            }
        }

        public Task SendAsync(Endpoint destination, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
        {
            Assert.True(RpcPacket.TryParse(packet, out RpcPacketHeader header, out ReadOnlyMemory<byte> payload, out _));
            Assert.Equal(RpcPacketKind.Command, header.Kind);
            var command = new Command(header, BinaryPrimitives.ReadInt32LittleEndian(payload.Span), destination);
            List<TaskCompletionSource<IReadOnlyList<Command>>> ready = [];
            lock (_lock)
            {
                _commands.Add(command);
                for (int i = _waiters.Count - 1; i >= 0; i--)
                {
                    if (_waiters[i].Count <= _commands.Count)
                    {
                        ready.Add(_waiters[i].Done);
                        _waiters.RemoveAt(i);
                    }
                }
            }
            IReadOnlyList<Command> snapshot = Commands;
            foreach (TaskCompletionSource<IReadOnlyList<Command>> done in ready)
                done.TrySetResult(snapshot);
            return Task.CompletedTask;
        }

        /// <summary>Completes once at least <paramref name="count"/> commands were sent, with all sent so far.</summary>
        public Task<IReadOnlyList<Command>> WaitForCommandsAsync(int count)
        {
            lock (_lock)
            {
                if (_commands.Count >= count)
                    return Task.FromResult<IReadOnlyList<Command>>([.. _commands]);
                var done = new TaskCompletionSource<IReadOnlyList<Command>>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((count, done));
                return done.Task;
            }
        }

        /// <summary>The device's empty response to <paramref name="command"/>.</summary>
        public void Answer(Command command)
        {
            var buffer = new ArrayBufferWriter<byte>(RpcPacketHeader.Size);
            RpcPacket.WriteHeader(buffer, command.Header.AnswerWith(RpcPacketKind.Response));
            _inbound.Writer.TryWrite(new InboundPacket(command.Destination, LocalEndpoint, buffer.WrittenMemory.ToArray()));
        }

        public int CapabilityQueries => Volatile.Read(ref _capabilityQueries);

        /// <summary>The device's capabilities, once <c>capabilitiesKnown</c> completes (at once without one).</summary>
        public async Task<NodeCapabilities> GetCapabilitiesAsync(NodeAddress node, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _capabilityQueries);
            if (capabilitiesKnown is not null)
                await capabilitiesKnown.WaitAsync(cancellationToken);
            return capabilities;
        }

        public ValueTask DisposeAsync()
        {
            _inbound.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }

        public sealed record Command(RpcPacketHeader Header, int CallIndex, Endpoint Destination)
        {
            public ushort RequestId => Header.RequestId;
        }
    }
}

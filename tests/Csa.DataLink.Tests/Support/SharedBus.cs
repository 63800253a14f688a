using System.Buffers;
using System.IO.Pipelines;

namespace Csa.DataLink.Tests.Support;

/// <summary>
/// A shared, addressed bus (like RS-485 with one talker at a time): every whole frame one member writes is heard by
/// all the others. Frames are passed on whole so members' writes do not interleave mid-frame, as bus arbitration
/// would guarantee.
/// </summary>
public sealed class SharedBus : IAsyncDisposable
{
    private readonly List<Member> _members = [];
    private readonly List<Task> _pumps = [];
    private readonly object _gate = new();

    public ILinkTransport Join(string name)
    {
        var member = new Member(this, $"bus://{name}");
        lock (_gate)
            _members.Add(member);
        _pumps.Add(Task.Run(() => PumpAsync(member)));
        return member;
    }

    private async Task PumpAsync(Member from)
    {
        PipeReader reader = from.FromMember.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (buffer.PositionOf((byte)0) is { } end)
            {
                byte[] frame = buffer.Slice(0, buffer.GetPosition(1, end)).ToArray();
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                Member[] others;
                lock (_gate)
                    others = [.. _members.Where(m => m != from)];
                foreach (Member other in others)
                {
                    lock (other)
                    {
                        try
                        {
                            other.ToMember.Writer.Write(frame);
                            _ = other.ToMember.Writer.FlushAsync();
                        }
                        catch (InvalidOperationException)
                        {
                            // That member left the bus.
                        }
                    }
                }
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
                break;
        }
        await reader.CompleteAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Member[] members;
        lock (_gate)
            members = [.. _members];
        foreach (Member member in members)
            await member.DisposeAsync();
        await Task.WhenAll(_pumps).WaitAsync(TestNetwork.HangGuard);
    }

    private sealed class Member(SharedBus bus, string name) : ILinkTransport
    {
        public Pipe FromMember { get; } = new(new PipeOptions(useSynchronizationContext: false));
        public Pipe ToMember { get; } = new(new PipeOptions(useSynchronizationContext: false, pauseWriterThreshold: 0));
        public string Name { get; } = name;
        public PipeReader Input => ToMember.Reader;
        public PipeWriter Output => FromMember.Writer;

        public async ValueTask DisposeAsync()
        {
            lock (bus._gate)
                bus._members.Remove(this);
            await FromMember.Writer.CompleteAsync();
            await ToMember.Reader.CompleteAsync();
        }
    }
}

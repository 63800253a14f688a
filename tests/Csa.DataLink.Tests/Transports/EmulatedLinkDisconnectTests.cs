using Csa.DataLink.Transports;
using Microsoft.Extensions.Time.Testing;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

/// <summary>Breaking an emulated link mid-transfer, for link-loss tests: both ends see the same thing a TCP peer close gives.</summary>
[Trait("Requirement", "REQ-TOPO")]
[Trait("Requirement", "REQ-RECOVER")]
public sealed class EmulatedLinkDisconnectTests
{
    [Fact]
    public async Task Disconnect_mid_transfer_completes_both_inputs_and_fails_writes_on_both_ends()
    {
        var clock = new FakeTimeProvider();
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 9600 }, timeProvider: clock));
        byte[] data = RandomBytes(2000, seed: 1);
        await WriteAsync(link.A.Output, data);
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        clock.Advance(TimeSpan.FromSeconds(0.5)); // 480 bytes are through, 1520 still queued or on the line
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        Assert.Equal(480, link.AToBCounters.BytesDelivered);

        await link.DisconnectAsync().WaitAsync(HangGuard);

        Assert.False(link.IsConnected);
        Assert.Equal("the link was disconnected", link.CloseReason);
        Assert.Equal(data[..480], await ReadToCompletionAsync(link.B.Input)); // what had arrived, then completion
        Assert.Empty(await ReadToCompletionAsync(link.A.Input));
        foreach (ILinkTransport end in new[] { link.A, link.B })
        {
            var error = await Assert.ThrowsAsync<TransportClosedException>(async () => await end.Output.WriteAsync(new byte[] { 1, 0 }));
            Assert.Equal(end.Name, error.TransportName);
            Assert.Contains("disconnected", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_pending_flush_fails_when_the_link_is_cut()
    {
        var clock = new FakeTimeProvider();
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(
            new EmulatedChannelOptions { BaudRate = 9600, TransmitBufferSize = 16 }, timeProvider: clock));
        ValueTask<System.IO.Pipelines.FlushResult> flush = link.A.Output.WriteAsync(new byte[500]);
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        Assert.False(flush.IsCompleted);

        link.Disconnect();
        await Assert.ThrowsAsync<TransportClosedException>(() => flush.AsTask().WaitAsync(HangGuard));
    }

    [Fact]
    public async Task Disposing_one_end_breaks_the_link_for_the_other()
    {
        EmulatedLink link = EmulatedLink.CreatePair();
        var (a, b) = link;
        await WriteAsync(a.Output, "x\0"u8.ToArray());
        Assert.Equal("x\0"u8.ToArray(), await ReadExactlyAsync(b.Input, 2));

        await a.DisposeAsync();

        Assert.True((await b.Input.ReadAsync().AsTask().WaitAsync(HangGuard)).IsCompleted);
        var error = await Assert.ThrowsAsync<TransportClosedException>(async () => await b.Output.WriteAsync(new byte[] { 1 }));
        Assert.Contains($"{a.Name} was disposed", error.Message, StringComparison.Ordinal);
        await link.Completion.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task Completing_an_output_closes_the_link_after_the_last_byte_has_arrived()
    {
        var clock = new FakeTimeProvider();
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 9600 }, timeProvider: clock));
        await WriteAsync(link.A.Output, new byte[] { 1, 2, 3, 0 });
        await link.A.Output.CompleteAsync();
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        Assert.True(link.IsConnected, "the bytes are still on the line");

        clock.Advance(TimeSpan.FromMilliseconds(10)); // 4 bytes take 4.17 ms
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, await ReadToCompletionAsync(link.B.Input));
        await link.Completion.WaitAsync(HangGuard);
        Assert.Contains(link.A.Name, link.CloseReason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<TransportClosedException>(async () => await link.B.Output.WriteAsync(new byte[] { 1 }));
    }

    [Fact]
    public async Task An_end_that_stops_reading_does_not_stall_the_other_direction()
    {
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 0 }));
        await link.B.Input.CompleteAsync(); // B no longer reads
        await WriteAsync(link.A.Output, new byte[100_000]);
        await WaitUntilAsync(() => link.AToBCounters.BytesDelivered == 100_000, "everything was delivered (and discarded)");

        await WriteAsync(link.B.Output, "still here\0"u8.ToArray());
        Assert.Equal("still here\0"u8.ToArray(), await ReadExactlyAsync(link.A.Input, 11));
    }
}

/// <summary>Pulling the serial cable and plugging it back in: the ends stay open, only bytes vanish.</summary>
[Trait("Requirement", "REQ-RECOVER")]
public sealed class EmulatedLinkLineCutTests
{
    [Fact]
    public async Task A_cut_line_loses_the_bytes_on_it_and_those_sent_while_cut_and_then_carries_bytes_again()
    {
        var clock = new FakeTimeProvider();
        await using EmulatedLink link = EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(new EmulatedChannelOptions { BaudRate = 9600 }, timeProvider: clock));
        await WriteAsync(link.A.Output, Enumerable.Repeat((byte)0x11, 20).ToArray());
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        clock.Advance(TimeSpan.FromMilliseconds(10.5)); // 10 bytes through
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        Assert.Equal(10, link.AToBCounters.BytesDelivered);

        link.CutLine();
        await WriteAsync(link.B.Output, new byte[] { 0x22, 0x22, 0x00 }); // lost too: both directions are cut
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        clock.Advance(TimeSpan.FromMilliseconds(50));
        await WaitUntilAsync(() => link.IsIdle && link.BToACounters.BytesTransmitted == 3, "B's bytes went onto the cut line");
        Assert.True(link.IsConnected);
        Assert.Equal(10, link.AToBCounters.BytesDelivered);
        Assert.Equal(0, link.BToACounters.BytesDelivered);
        Assert.Equal(10, link.AToBCounters.BytesLostOnCutLine);
        Assert.Equal(3, link.BToACounters.BytesLostOnCutLine);

        link.RestoreLine();
        await WriteAsync(link.A.Output, new byte[] { 0x33, 0x00 });
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");
        clock.Advance(TimeSpan.FromMilliseconds(10));
        await WaitUntilAsync(() => link.IsIdle, "the link is idle");

        byte[] expected = [.. Enumerable.Repeat((byte)0x11, 10), 0x33, 0x00];
        Assert.Equal(expected, await ReadExactlyAsync(link.B.Input, expected.Length));
        await WriteAsync(link.A.Output, new byte[] { 0x44 }); // writes still succeed: nothing noticed the cut
    }
}

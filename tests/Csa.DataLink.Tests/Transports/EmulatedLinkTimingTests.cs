using Csa.DataLink.Transports;
using Microsoft.Extensions.Time.Testing;
using static Csa.DataLink.Tests.Transports.TransportTestHelpers;

namespace Csa.DataLink.Tests.Transports;

/// <summary>The emulated link's byte timing, checked on a fake clock: exact, never wall-clock.</summary>
[Trait("Requirement", "REQ-TOPO")]
public sealed class EmulatedLinkTimingTests
{
    private static (EmulatedLink Link, FakeTimeProvider Clock) Create(EmulatedChannelOptions channel)
    {
        var clock = new FakeTimeProvider();
        return (EmulatedLink.CreatePair(EmulatedLinkOptions.Symmetric(channel, seed: 1, clock)), clock);
    }

    private static Task Settled(EmulatedLink link) => WaitUntilAsync(() => link.IsIdle, "the emulated link is idle");

    private static void AssertNothingMoreToRead(ILinkTransport end)
    {
        if (end.Input.TryRead(out var result))
        {
            Assert.True(result.Buffer.IsEmpty, $"{result.Buffer.Length} unexpected bytes arrived");
            end.Input.AdvanceTo(result.Buffer.Start);
        }
    }

    [Fact]
    public async Task N_bytes_at_9600_baud_arrive_exactly_when_N_times_10_over_9600_seconds_have_passed()
    {
        var (link, clock) = Create(new EmulatedChannelOptions { BaudRate = 9600 });
        await using (link)
        {
            byte[] data = RandomBytes(96, seed: 3); // 96 bytes * 10 bits / 9600 baud = exactly 0.1 s
            await WriteAsync(link.A.Output, data);
            await Settled(link);

            clock.Advance(TimeSpan.FromSeconds(0.1) - TimeSpan.FromTicks(1));
            await Settled(link);
            Assert.Equal(95, link.AToBCounters.BytesDelivered);
            Assert.Equal(data[..95], await ReadExactlyAsync(link.B.Input, 95));
            AssertNothingMoreToRead(link.B);

            clock.Advance(TimeSpan.FromMilliseconds(1)); // deliveries are batched at most 1 ms apart
            await Settled(link);
            Assert.Equal(96, link.AToBCounters.BytesDelivered);
            Assert.Equal(data[95..], await ReadExactlyAsync(link.B.Input, 1));
        }
    }

    [Fact]
    public async Task Throughput_never_exceeds_baud_over_10_and_a_queue_forms_behind_the_line()
    {
        var (link, clock) = Create(new EmulatedChannelOptions { BaudRate = 19200 });
        await using (link)
        {
            byte[] data = RandomBytes(3000, seed: 4); // 1.5625 s of line time, written at once
            await WriteAsync(link.A.Output, data);
            await Settled(link);

            TimeSpan elapsed = TimeSpan.Zero;
            for (int step = 0; step < 20; step++)
            {
                TimeSpan advance = TimeSpan.FromMilliseconds(37 + step);
                clock.Advance(advance);
                elapsed += advance;
                await Settled(link);

                // floor(t * baud / 10): byte n leaves at ceil(n * 10 / baud).
                long expected = Math.Min(data.Length, (long)Math.Floor(elapsed.Ticks * 19200.0 / 10 / TimeSpan.TicksPerSecond));
                Assert.Equal(expected, link.AToBCounters.BytesDelivered);
            }

            clock.Advance(TimeSpan.FromSeconds(2));
            await Settled(link);
            Assert.Equal(data, await ReadExactlyAsync(link.B.Input, data.Length));
        }
    }

    [Fact]
    public async Task Latency_delays_every_byte_by_the_same_fixed_time()
    {
        var (link, clock) = Create(new EmulatedChannelOptions { BaudRate = 0, Latency = TimeSpan.FromMilliseconds(50) });
        await using (link)
        {
            await WriteAsync(link.B.Output, "ping\0"u8.ToArray());
            await Settled(link);

            clock.Advance(TimeSpan.FromMilliseconds(50) - TimeSpan.FromTicks(1));
            await Settled(link);
            Assert.Equal(0, link.BToACounters.BytesDelivered);

            clock.Advance(TimeSpan.FromMilliseconds(1));
            await Settled(link);
            Assert.Equal("ping\0"u8.ToArray(), await ReadExactlyAsync(link.A.Input, 5));
        }
    }

    [Fact]
    public async Task Baud_and_latency_add_up_for_the_first_byte()
    {
        var (link, clock) = Create(new EmulatedChannelOptions { BaudRate = 1000, Latency = TimeSpan.FromMilliseconds(20) });
        await using (link)
        {
            await WriteAsync(link.A.Output, new byte[] { 0x55, 0x00 });
            await Settled(link);

            clock.Advance(TimeSpan.FromMilliseconds(30) - TimeSpan.FromTicks(1)); // 1 byte = 10 ms at 1000 baud, + 20 ms
            await Settled(link);
            Assert.Equal(0, link.AToBCounters.BytesDelivered);

            clock.Advance(TimeSpan.FromTicks(1) + TimeSpan.FromMilliseconds(1));
            await Settled(link);
            Assert.Equal(1, link.AToBCounters.BytesDelivered);
        }
    }

    [Fact]
    public async Task A_full_transmit_buffer_holds_the_writer_back_until_the_line_drains()
    {
        var (link, clock) = Create(new EmulatedChannelOptions { BaudRate = 9600, TransmitBufferSize = 64 });
        await using (link)
        {
            ValueTask<System.IO.Pipelines.FlushResult> flush = link.A.Output.WriteAsync(RandomBytes(1000, seed: 5));
            await Settled(link);
            Assert.False(flush.IsCompleted, "a 1000-byte write cannot pass a 64-byte transmit buffer at once");

            clock.Advance(TimeSpan.FromSeconds(1.1)); // 1000 bytes need 1.0417 s
            await Settled(link);
            Assert.False((await flush.AsTask().WaitAsync(HangGuard)).IsCompleted);
            Assert.Equal(1000, link.AToBCounters.BytesDelivered);
        }
    }

    [Fact]
    public async Task Both_directions_are_timed_independently()
    {
        var clock = new FakeTimeProvider();
        var options = new EmulatedLinkOptions
        {
            AToB = new EmulatedChannelOptions { BaudRate = 1000 },
            BToA = new EmulatedChannelOptions { BaudRate = 10000 },
            TimeProvider = clock,
        };
        await using EmulatedLink link = EmulatedLink.CreatePair(options);
        await WriteAsync(link.A.Output, new byte[10]);
        await WriteAsync(link.B.Output, new byte[10]);
        await Settled(link);

        clock.Advance(TimeSpan.FromMilliseconds(10)); // B->A: 10 bytes in 10 ms; A->B: 1 byte
        await Settled(link);
        Assert.Equal(10, link.BToACounters.BytesDelivered);
        Assert.Equal(1, link.AToBCounters.BytesDelivered);
    }
}

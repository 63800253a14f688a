using System.Buffers;
using System.Device.Spi;
using System.IO.Pipelines;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;

namespace Csa.DataLink.Bus.Tests;

/// <summary>
/// The master's link over emulated buses, with the test as the device's data link (it reads and writes the slave's
/// transport): bytes both ways, credit, adaptive polling, the ready line, a device that goes away and comes back, and
/// the transport rules of docs/transports.md section 1. No wall-clock limit: waits are hang guards only.
/// </summary>
public sealed class BusLinkTransportTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private static byte[] Pattern(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count)
    {
        using var guard = new CancellationTokenSource(Guard);
        var received = new List<byte>();
        while (received.Count < count)
        {
            ReadResult result = await reader.ReadAsync(guard.Token);
            int take = (int)Math.Min(result.Buffer.Length, count - received.Count);
            received.AddRange(result.Buffer.Slice(0, take).ToArray());
            reader.AdvanceTo(result.Buffer.GetPosition(take));
            Assert.False(result.IsCompleted && received.Count < count, "the stream ended early");
        }
        return [.. received];
    }

    public static TheoryData<string> Buses() => ["i2c", "spi"];

    /// <summary>A bus with one powered slave and the master's link to it.</summary>
    private static (IDisposable Bus, BusSlave Slave, BusLinkTransport Link) Open(string kind, BusSlaveOptions? slave = null, BusLinkOptions? link = null, bool readyLine = false)
    {
        link ??= BusLinkOptions.Default;
        if (kind == "i2c")
        {
            var bus = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 1_000_000 });
            BusSlave s = bus.AttachSlave(0x42, slave, readyLine ? 3 : null);
            s.PowerOn();
            BusLinkOptions options = readyLine ? link with { Ready = new ReadyLine(bus.CreateReadyLineController(), 3) { OwnsController = true } } : link;
            return (bus, s, BusLinkTransport.ForI2c(bus.CreateDevice(0x42), options));
        }
        else
        {
            var bus = new EmulatedSpiBus();
            BusSlave s = bus.AttachSlave(1, slave, readyLine ? 3 : null);
            s.PowerOn();
            BusLinkOptions options = readyLine ? link with { Ready = new ReadyLine(bus.CreateReadyLineController(), 3) { OwnsController = true } } : link;
            return (bus, s, BusLinkTransport.ForSpi(bus.CreateDevice(new SpiConnectionSettings(0, 1) { ClockFrequency = 8_000_000 }), options));
        }
    }

    [Theory]
    [MemberData(nameof(Buses))]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task BytesCrossBothWays_InOrder_AndNeverMoreThanTheDeviceHasRoomFor(string kind)
    {
        // A small receive buffer the device's data link drains slowly: the master must follow its credit.
        (IDisposable bus, BusSlave slave, BusLinkTransport link) = Open(kind, new BusSlaveOptions { ReceiveBufferSize = 100, MaxOffer = 64 });
        using IDisposable _ = bus;
        await using BusLinkTransport __ = link;
        byte[] down = Pattern(5000, 1);
        byte[] up = Pattern(3000, 2);

        Task send = link.Output.WriteAsync(down).AsTask();
        Task deviceSends = slave.Transport.Output.WriteAsync(up).AsTask();
        var received = new List<byte>();
        using (var guard = new CancellationTokenSource(Guard))
        {
            while (received.Count < down.Length)
            {
                ReadResult result = await slave.Transport.Input.ReadAsync(guard.Token);
                int take = (int)Math.Min(result.Buffer.Length, 37); // a slow consumer
                received.AddRange(result.Buffer.Slice(0, take).ToArray());
                slave.Transport.Input.AdvanceTo(result.Buffer.GetPosition(take));
            }
        }
        byte[] back = await ReadExactlyAsync(link.Input, up.Length);
        await send.WaitAsync(Guard);
        await deviceSends.WaitAsync(Guard);

        Assert.Equal(down, received);
        Assert.Equal(up, back);
        Assert.Equal(0, slave.Counters.BytesOverflowed);
        Assert.Equal(0, link.Counters.Overflows);
        // The master counts a transfer's bytes once its exchange returns, and the device holds them during it: the
        // count of the last transfer may still be on its way when the device has read everything.
        SpinWait.SpinUntil(() => link.Counters.BytesWritten >= down.Length, Guard);
        Assert.Equal(down.Length, link.Counters.BytesWritten);
        Assert.Equal(up.Length, link.Counters.BytesRead);
        Assert.True(link.IsDeviceAnswering);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task AnIdleLink_BacksOffToTheIdleInterval()
    {
        (IDisposable bus, BusSlave _, BusLinkTransport link) = Open("i2c", link: new BusLinkOptions { IdleAfter = TimeSpan.Zero, IdlePollInterval = TimeSpan.FromMilliseconds(100) });
        using IDisposable b = bus;
        await using BusLinkTransport l = link;
        await Task.Delay(1000);
        long polls = link.Counters.Polls;
        // Doubling from 1 ms: 1 + 2 + 4 + ... + 64 ms, then every 100 ms: about 16 polls in a second. Polling at the busy
        // interval would be hundreds. (An upper bound only: a slow machine polls less, never more.)
        Assert.InRange(polls, 1, 40);
        Assert.Equal(polls, link.Counters.EmptyPolls);
        Assert.Equal(0, link.Counters.BytesRead);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task WithAReadyLine_TheIdleDeviceIsNotPolledOnTheTimer_AndItsBytesAreFetchedWhenTheLineGoesActive(string kind)
    {
        (IDisposable bus, BusSlave slave, BusLinkTransport link) = Open(kind, readyLine: true,
            link: new BusLinkOptions { ReadyLineCheckInterval = TimeSpan.FromSeconds(30) });
        using IDisposable b = bus;
        await using BusLinkTransport l = link;
        await Task.Delay(500);
        long idlePolls = link.Counters.Polls;
        Assert.InRange(idlePolls, 0, 2); // at most the first poll: nothing on the timer

        byte[] eventFrame = Pattern(40, 3);
        await slave.Transport.Output.WriteAsync(eventFrame);
        Assert.Equal(eventFrame, await ReadExactlyAsync(link.Input, eventFrame.Length));
        Assert.False(slave.IsReadyAsserted);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task ADeviceThatLosesPower_GoesOffline_WritesAreDiscarded_AndItIsTalkedToAgainWhenItComesBack(string kind)
    {
        (IDisposable bus, BusSlave slave, BusLinkTransport link) = Open(kind, link: new BusLinkOptions { OfflineAfter = TimeSpan.FromMilliseconds(100), IdlePollInterval = TimeSpan.FromMilliseconds(20) });
        using IDisposable b = bus;
        await using BusLinkTransport l = link;
        await link.Output.WriteAsync(Pattern(10, 4));
        Assert.Equal(10, (await ReadExactlyAsync(slave.Transport.Input, 10)).Length);

        slave.PowerOff();
        using (var guard = new CancellationTokenSource(Guard))
        {
            while (link.Counters.OfflineTransitions == 0)
                await Task.Delay(10, guard.Token);
        }
        Assert.False(link.IsDeviceAnswering);
        // Writes while it is away neither block nor pile up: they are lost, as on a UART to a board without power.
        for (int i = 0; i < 50; i++)
            await link.Output.WriteAsync(Pattern(1000, i)).AsTask().WaitAsync(Guard);
        using (var guard = new CancellationTokenSource(Guard))
        {
            while (link.Counters.BytesDiscardedOffline < 50_000)
                await Task.Delay(10, guard.Token);
        }

        slave.PowerOn();
        byte[] after = Pattern(300, 5);
        using (var guard = new CancellationTokenSource(Guard))
        {
            while (!link.IsDeviceAnswering)
                await Task.Delay(5, guard.Token);
        }
        await link.Output.WriteAsync(after);
        Assert.Equal(after, await ReadExactlyAsync(slave.Transport.Input, after.Length));
        Assert.True(link.Counters.DeviceResets >= 2); // the first start and the restart
        Assert.True(link.Counters.Failures + link.Counters.InvalidHeaders > 0);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task ATornI2cWrite_IsSentAgain_AndTheDeviceSeesTheFragmentThenTheWholeBytes()
    {
        (IDisposable bus, BusSlave slave, BusLinkTransport link) = Open("i2c");
        var i2c = (EmulatedI2cBus)bus;
        using IDisposable b = bus;
        await using BusLinkTransport l = link;
        await link.Output.WriteAsync(new byte[] { 0xEE });
        await ReadExactlyAsync(slave.Transport.Input, 1); // the link has credit now
        i2c.InjectFault(0x42, new EmulatedBusFault(EmulatedBusFaultKind.TearToSlave, 3)); // not a poll's read that may run first
        byte[] data = Pattern(10, 6);
        await link.Output.WriteAsync(data);
        byte[] seen = await ReadExactlyAsync(slave.Transport.Input, 13);
        Assert.Equal(data[..3], seen[..3]);
        Assert.Equal(data, seen[3..]);
        Assert.Equal(1, link.Counters.Failures);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task AnSpiMasterInTheWrongMode_NeverSeesAValidHeader_AndTheDeviceNeverSeesItsBytes()
    {
        using var bus = new EmulatedSpiBus();
        BusSlave slave = bus.AttachSlave(0, new BusSlaveOptions { SpiMode = SpiMode.Mode0 });
        slave.PowerOn();
        await using BusLinkTransport link = BusLinkTransport.ForSpi(bus.CreateDevice(new SpiConnectionSettings(0, 0) { Mode = SpiMode.Mode1, ClockFrequency = 1_000_000 }),
            new BusLinkOptions { OfflineAfter = TimeSpan.FromMilliseconds(100) });
        await link.Output.WriteAsync(Pattern(100, 7));
        using (var guard = new CancellationTokenSource(Guard))
        {
            while (link.Counters.OfflineTransitions == 0)
                await Task.Delay(10, guard.Token);
        }
        Assert.True(link.Counters.InvalidHeaders > 0);
        Assert.Equal(0, link.Counters.BytesWritten);
        Assert.Equal(0, slave.Counters.BytesReceived);
        Assert.True(slave.Counters.InvalidMasterHeaders > 0);
    }

    [Theory]
    [MemberData(nameof(Buses))]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Disposing_CompletesTheInput_AndLaterWritesThrowTransportClosed(string kind)
    {
        (IDisposable bus, BusSlave _, BusLinkTransport link) = Open(kind);
        using IDisposable b = bus;
        await link.DisposeAsync();
        ReadResult end = await link.Input.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.True(end.IsCompleted);
        var e = await Assert.ThrowsAsync<TransportClosedException>(async () => await link.Output.WriteAsync(new byte[] { 1 }));
        Assert.Equal(link.Name, e.TransportName);
        await link.DisposeAsync(); // twice is harmless
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task ABusThatGoesAway_EndsTheLink_WithTheReason()
    {
        (IDisposable bus, BusSlave _, BusLinkTransport link) = Open("i2c");
        await using BusLinkTransport l = link;
        bus.Dispose(); // the adapter is unplugged
        ReadResult end = await link.Input.ReadAsync().AsTask().WaitAsync(Guard);
        Assert.True(end.IsCompleted);
        var e = await Assert.ThrowsAsync<TransportClosedException>(async () => await link.Output.WriteAsync(new byte[] { 1 }));
        Assert.Contains("the bus device failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_AreChecked()
    {
        using var bus = new EmulatedI2cBus();
        Assert.Equal("MaxTransfer", Assert.Throws<ArgumentOutOfRangeException>(() => BusLinkTransport.ForI2c(bus.CreateDevice(0x10), new BusLinkOptions { MaxTransfer = 0 })).ParamName);
        Assert.Equal("ReadAhead", Assert.Throws<ArgumentOutOfRangeException>(() => BusLinkTransport.ForI2c(bus.CreateDevice(0x10), new BusLinkOptions { MaxTransfer = 10, ReadAhead = 11 })).ParamName);
        Assert.Equal("IdlePollInterval", Assert.Throws<ArgumentOutOfRangeException>(() => BusLinkTransport.ForI2c(bus.CreateDevice(0x10), new BusLinkOptions { BusyPollInterval = TimeSpan.FromSeconds(1), IdlePollInterval = TimeSpan.FromMilliseconds(10) })).ParamName);
        Assert.Equal("OfflineAfter", Assert.Throws<ArgumentOutOfRangeException>(() => BusLinkTransport.ForI2c(bus.CreateDevice(0x10), new BusLinkOptions { OfflineAfter = TimeSpan.Zero })).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.CreateDevice(0x78));
        Assert.Throws<ArgumentOutOfRangeException>(() => bus.AttachSlave(0x03));
        bus.AttachSlave(0x10);
        Assert.Throws<InvalidOperationException>(() => bus.AttachSlave(0x10));
    }
}

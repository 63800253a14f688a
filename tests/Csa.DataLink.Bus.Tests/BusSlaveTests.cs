using System.Buffers;
using System.IO.Pipelines;
using Csa.DataLink.Bus;

namespace Csa.DataLink.Bus.Tests;

/// <summary>The slave's rules (docs/transports.md sections 7.4 - 7.6), transaction by transaction.</summary>
public sealed class BusSlaveTests
{
    private static BusSlave PoweredSlave(BusSlaveOptions? options = null)
    {
        var slave = new BusSlave("test", options);
        slave.PowerOn();
        return slave;
    }

    private static SlaveHeader Poll(BusSlave slave, int dataBytes, out byte[] data)
    {
        byte[] buffer = new byte[6 + dataBytes];
        Assert.True(slave.TryI2cRead(buffer));
        Assert.True(SlaveHeader.TryParse(buffer, out SlaveHeader header));
        data = buffer[6..];
        return header;
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void AWriteBeyondTheFreeSpace_IsTakenUpToIt_TheRestDiscarded_AndTheNextHeaderSaysOverflowOnce()
    {
        BusSlave slave = PoweredSlave(new BusSlaveOptions { ReceiveBufferSize = 10 });
        Assert.True(slave.TryI2cWrite(Enumerable.Range(1, 16).Select(i => (byte)i).ToArray()));
        Assert.Equal(10, slave.Counters.BytesReceived);
        Assert.Equal(6, slave.Counters.BytesOverflowed);
        SlaveHeader first = Poll(slave, 0, out _);
        Assert.Equal(SlaveFlags.Reset | SlaveFlags.Overflow, first.Flags);
        Assert.Equal(0, first.Free);
        Assert.Equal(SlaveFlags.None, Poll(slave, 0, out _).Flags);
        Assert.True(slave.Transport.Input.TryRead(out ReadResult read));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (byte)i), read.Buffer.ToArray());
        slave.Transport.Input.AdvanceTo(read.Buffer.GetPosition(4));
        Assert.Equal(4, Poll(slave, 0, out _).Free); // the data link took 4: there is room for 4 again
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task AReadRemovesExactlyWhatTheMasterClocked_AndOffersAtMostMaxOffer_WithMore()
    {
        BusSlave slave = PoweredSlave(new BusSlaveOptions { MaxOffer = 8 });
        byte[] stream = Enumerable.Range(1, 20).Select(i => (byte)i).ToArray();
        await slave.Transport.Output.WriteAsync(stream);
        SlaveHeader header = Poll(slave, 3, out byte[] data);
        Assert.Equal(8, header.Available);
        Assert.True(header.Flags.HasFlag(SlaveFlags.More));
        Assert.Equal(stream[..3], data);
        Assert.Equal(17, slave.QueuedBytes);
        header = Poll(slave, 12, out data);
        Assert.Equal(8, header.Available);
        Assert.Equal(stream[3..11], data[..8]);
        Assert.All(data[8..], b => Assert.Equal(0, b)); // filler after what was offered
        header = Poll(slave, 20, out data);
        Assert.Equal(8, header.Available);
        Assert.True(header.Flags.HasFlag(SlaveFlags.More)); // 9 were queued
        Assert.Equal(stream[11..19], data[..8]);
        header = Poll(slave, 1, out data);
        Assert.Equal(1, header.Available);
        Assert.False(header.Flags.HasFlag(SlaveFlags.More));
        Assert.Equal(stream[19], data[0]);
        Assert.Equal(0, slave.QueuedBytes);
        Assert.Equal(20, slave.Counters.BytesSent);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task AReadCutInsideTheHeader_RemovesNothing_AndKeepsTheFlags()
    {
        BusSlave slave = PoweredSlave();
        await slave.Transport.Output.WriteAsync(new byte[] { 1, 2, 3 });
        byte[] probe = new byte[1]; // i2cdetect reads one byte
        Assert.True(slave.TryI2cRead(probe));
        Assert.Equal(0xA1, probe[0]);
        Assert.Equal(3, slave.QueuedBytes);
        Assert.Equal(SlaveFlags.Reset, Poll(slave, 0, out _).Flags);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    [Trait("Requirement", "REQ-RECOVER")]
    public async Task PowerOff_DoesNotAcknowledge_EmptiesTheQueue_AndTheNextStartSaysReset()
    {
        BusSlave slave = PoweredSlave();
        Assert.Equal(SlaveFlags.Reset, Poll(slave, 0, out _).Flags);
        await slave.Transport.Output.WriteAsync(new byte[] { 9, 9, 9 });
        slave.PowerOff();
        Assert.False(slave.TryI2cRead(new byte[6]));
        Assert.False(slave.TryI2cWrite([1, 2]));
        byte[] miso = new byte[8];
        slave.SpiTransfer(new byte[8], miso);
        Assert.All(miso, b => Assert.Equal(0xFF, b));
        Assert.Equal(3, slave.Counters.Naks);
        slave.PowerOn();
        SlaveHeader header = Poll(slave, 0, out _);
        Assert.Equal(SlaveFlags.Reset, header.Flags);
        Assert.Equal(0, header.Available);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task TheOutboundQueueIsBounded_TheDeviceWaits_AndResumesWhenTheMasterHasReadHalf()
    {
        BusSlave slave = PoweredSlave(new BusSlaveOptions { TransmitQueueSize = 64, MaxOffer = 256 });
        await slave.Transport.Output.WriteAsync(new byte[60]).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        ValueTask<FlushResult> blocked = slave.Transport.Output.WriteAsync(new byte[10]);
        Assert.False(blocked.IsCompleted);
        Assert.Equal(70, slave.QueuedBytes); // nothing dropped: the write waits with its bytes queued
        Poll(slave, 20, out _);
        Assert.False(blocked.IsCompleted); // 50 left, more than half of 64
        Poll(slave, 30, out _);
        FlushResult result = await blocked.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(result.IsCompleted);
        Assert.Equal(20, slave.QueuedBytes);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Spi_TheHeaderIgnoresTheTransfersOwnBytes_AShortTransferIsCounted_AndAnInvalidMasterHeaderTakesNothing()
    {
        BusSlave slave = PoweredSlave(new BusSlaveOptions { ReceiveBufferSize = 100 });
        byte[] mosi = new byte[6 + 30];
        new MasterHeader(30, 30).Write(mosi);
        byte[] miso = new byte[mosi.Length];
        slave.SpiTransfer(mosi, miso);
        Assert.True(SlaveHeader.TryParse(miso, out SlaveHeader header));
        Assert.Equal(100, header.Free);
        Assert.Equal(30, slave.Counters.BytesReceived);
        // Chip select released after 6 + 10 bytes of a transfer announced as 30: the slave takes the 10 it saw.
        slave.SpiTransfer(mosi.AsSpan(0, 16), miso.AsSpan(0, 16));
        Assert.True(SlaveHeader.TryParse(miso, out header));
        Assert.Equal(70, header.Free);
        Assert.Equal(40, slave.Counters.BytesReceived);
        Assert.Equal(1, slave.Counters.ShortTransactions);
        mosi[0] = 0x52;
        slave.SpiTransfer(mosi, miso);
        Assert.Equal(40, slave.Counters.BytesReceived);
        Assert.Equal(1, slave.Counters.InvalidMasterHeaders);
        Assert.Throws<ArgumentException>(() => slave.SpiTransfer(new byte[3], new byte[4]));
        await Task.CompletedTask;
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task TheReadyOutput_FollowsTheQueue_AndWaitUntilSent_CompletesWhenTheMasterHasReadIt()
    {
        BusSlave slave = PoweredSlave();
        int changes = 0;
        slave.ReadyChanged += (_, _) => Interlocked.Increment(ref changes);
        Assert.False(slave.IsReadyAsserted);
        Assert.True(slave.WaitUntilSentAsync().IsCompleted);
        await slave.Transport.Output.WriteAsync(new byte[] { 1, 2, 3, 4 });
        Assert.True(slave.IsReadyAsserted);
        Task sent = slave.WaitUntilSentAsync();
        Poll(slave, 2, out _);
        Assert.False(sent.IsCompleted);
        Assert.True(slave.IsReadyAsserted);
        Poll(slave, 2, out _);
        await sent.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(slave.IsReadyAsserted);
        Assert.Equal(2, changes);
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public async Task Unplugging_EndsTheDevicesInput_AndItsWritesFailTyped()
    {
        BusSlave slave = PoweredSlave();
        await slave.Transport.DisposeAsync();
        Assert.False(slave.IsPowered);
        Assert.False(slave.TryI2cRead(new byte[6]));
        await Assert.ThrowsAsync<TransportClosedException>(async () => await slave.Transport.Output.WriteAsync(new byte[] { 1 }));
        Assert.Throws<ObjectDisposedException>(slave.PowerOn);
    }

    [Fact]
    public void Options_AreChecked()
    {
        Assert.Equal("ReceiveBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new BusSlave("x", new BusSlaveOptions { ReceiveBufferSize = 0 })).ParamName);
        Assert.Equal("ReceiveBufferSize", Assert.Throws<ArgumentOutOfRangeException>(() => new BusSlave("x", new BusSlaveOptions { ReceiveBufferSize = 70000 })).ParamName);
        Assert.Equal("TransmitQueueSize", Assert.Throws<ArgumentOutOfRangeException>(() => new BusSlave("x", new BusSlaveOptions { TransmitQueueSize = 10 })).ParamName);
        Assert.Equal("MaxOffer", Assert.Throws<ArgumentOutOfRangeException>(() => new BusSlave("x", new BusSlaveOptions { MaxOffer = 0 })).ParamName);
    }
}

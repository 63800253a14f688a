using System.Device.I2c;
using System.Device.Spi;
using Csa.DataLink.Bus;
using Csa.DataLink.Bus.Emulation;

namespace Csa.DataLink.Bus.Tests;

/// <summary>The emulated buses book the time the wire takes (docs/transports.md section 7.9), exactly.</summary>
public sealed class EmulatedBusTimingTests
{
    [Theory]
    [InlineData(100_000)]
    [InlineData(400_000)]
    [InlineData(1_000_000)]
    [Trait("Requirement", "REQ-TOPO")]
    public void I2c_EachTransactionCostsTwelvePlusNineBitsPerByte_AndANakCostsTwelve(int clock)
    {
        using var bus = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = clock });
        bus.AttachSlave(0x20).PowerOn();
        using I2cDevice device = bus.CreateDevice(0x20);
        using I2cDevice nobody = bus.CreateDevice(0x21);
        device.Read(new byte[6]);
        device.Write(new byte[250]);
        Assert.Throws<IOException>(() => nobody.Read(new byte[6]));
        double expected = ((12 + (9 * 6)) + (12 + (9 * 250)) + 12) / (double)clock;
        Assert.Equal(expected, bus.BusyTime.TotalSeconds, 6);
        Assert.Equal(3, bus.Transactions);
        Assert.Equal(TimeSpan.FromSeconds(66.0 / clock), EmulatedI2cBus.TransactionTime(6, clock));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void Spi_EachTransferCostsEightBitsPerByteAtTheDevicesClock_PlusTheChipSelectOverhead()
    {
        using var bus = new EmulatedSpiBus(new EmulatedSpiBusOptions { ChipSelectOverhead = TimeSpan.FromMicroseconds(5) });
        bus.AttachSlave(0).PowerOn();
        using SpiDevice fast = bus.CreateDevice(new SpiConnectionSettings(0, 0) { ClockFrequency = 8_000_000 });
        using SpiDevice slow = bus.CreateDevice(new SpiConnectionSettings(0, 1) { ClockFrequency = 1_000_000 });
        fast.TransferFullDuplex(new byte[1000], new byte[1000]);
        byte[] miso = new byte[6];
        slow.TransferFullDuplex(new byte[6], miso); // nobody behind chip select 1: MISO stays high
        Assert.All(miso, b => Assert.Equal(0xFF, b));
        double expected = 5e-6 + (8000 / 8e6) + 5e-6 + (48 / 1e6);
        Assert.Equal(expected, bus.BusyTime.TotalSeconds, 6);
        Assert.Throws<ArgumentException>(() => fast.TransferFullDuplex(new byte[3], new byte[4]));
    }

    [Fact]
    [Trait("Requirement", "REQ-TOPO")]
    public void TheBusCarriesOneTransactionAtATime_SoAThroughputCannotExceedTheClock()
    {
        using var bus = new EmulatedI2cBus(new EmulatedI2cBusOptions { ClockRate = 400_000 });
        bus.AttachSlave(0x20).PowerOn();
        bus.AttachSlave(0x21).PowerOn();
        using I2cDevice a = bus.CreateDevice(0x20);
        using I2cDevice b = bus.CreateDevice(0x21);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, 40, i => (i % 2 == 0 ? a : b).Write(new byte[1000]));
        // 40 transactions of (12 + 9000) bits at 400 kHz = 0.9012 s of bus time; the callers return at most 2 ms early.
        Assert.Equal(40 * (12 + 9000) / 400_000.0, bus.BusyTime.TotalSeconds, 6);
        Assert.True(started.Elapsed >= bus.BusyTime - TimeSpan.FromMilliseconds(3), $"{started.Elapsed} for {bus.BusyTime} of bus time");
    }
}
